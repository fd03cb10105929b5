using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Legends;
using OxyPlot.Series;

namespace QuayIntegration.Benchmarks.Framework;

/// <summary>Draws a <see cref="Chart"/> as an SVG file (OxyPlot's own exporter: no native code, no fonts to install).</summary>
public static class ChartRenderer
{
    private static readonly OxyColor[] Palette = [OxyColor.FromRgb(0x1f, 0x77, 0xb4), OxyColor.FromRgb(0xd6, 0x27, 0x28), OxyColor.FromRgb(0x2c, 0xa0, 0x2c), OxyColor.FromRgb(0x94, 0x67, 0xbd)];

    public static void WriteSvg(Chart chart, string path, MachineInfo machine)
    {
        var model = new PlotModel
        {
            Title = chart.Title,
            Subtitle = $"{machine.ProcessorCount} cores, {machine.Runtime}, {DateTime.UtcNow:yyyy-MM-dd}",
            Background = OxyColors.White,
        };
        model.Legends.Add(new Legend
        {
            LegendPlacement = LegendPlacement.Outside, LegendPosition = LegendPosition.BottomCenter, LegendOrientation = LegendOrientation.Horizontal,
        });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = chart.XTitle, MajorGridlineStyle = LineStyle.Dot, Minimum = 0 });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = chart.YTitle, Key = "left", MajorGridlineStyle = LineStyle.Dot, Minimum = 0 });
        if (chart.RightAxisSeries is { Count: > 0 })
            model.Axes.Add(new LinearAxis { Position = AxisPosition.Right, Title = chart.RightAxisTitle, Key = "right", Minimum = 0 });

        var color = 0;
        foreach (var (series, axis) in chart.Series.Select(s => (s, "left")).Concat((chart.RightAxisSeries ?? []).Select(s => (s, "right"))))
        {
            var line = new LineSeries
            {
                Title = series.Name,
                YAxisKey = axis,
                Color = Palette[color++ % Palette.Length],
                StrokeThickness = 2,
                MarkerType = series.Points.Count <= 20 ? MarkerType.Circle : MarkerType.None,
                LineStyle = axis == "right" ? LineStyle.Dash : LineStyle.Solid,
            };
            foreach (var (x, y) in series.Points) line.Points.Add(new DataPoint(x, y));
            model.Series.Add(line);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var stream = File.Create(path);
        new SvgExporter { Width = 800, Height = 480 }.Export(model, stream);
    }
}
