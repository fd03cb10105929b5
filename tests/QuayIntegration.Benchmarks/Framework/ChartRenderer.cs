using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Legends;
using OxyPlot.Series;

namespace QuayIntegration.Benchmarks.Framework;

/// <summary>Draws a <see cref="Chart"/> as an SVG file (OxyPlot's own exporter: no native code, no fonts to install).</summary>
public static class ChartRenderer
{
    private static readonly OxyColor[] Palette = [OxyColor.FromRgb(0x1f, 0x77, 0xb4), OxyColor.FromRgb(0xd6, 0x27, 0x28), OxyColor.FromRgb(0x2c, 0xa0, 0x2c), OxyColor.FromRgb(0x94, 0x67, 0xbd)];

    /// <param name="measuredAt">When the result was measured (the subtitle's date, also when a saved result is drawn again).</param>
    public static void WriteSvg(Chart chart, string path, MachineInfo machine, DateTimeOffset measuredAt)
    {
        var model = new PlotModel
        {
            Title = chart.Title,
            Subtitle = $"{machine.ProcessorCount} cores, {machine.OperatingSystem}, {machine.Runtime}, measured {measuredAt:yyyy-MM-dd}",
            Background = OxyColors.White,
            // The exporter measures text with Arial's metrics; a browser drawing another font then overlaps or cuts labels.
            DefaultFont = "Arial",
        };
        // One entry per line in the plot's top-left corner, where the series start low.
        model.Legends.Add(new Legend
        {
            LegendPlacement = LegendPlacement.Inside, LegendPosition = LegendPosition.TopLeft, LegendOrientation = LegendOrientation.Vertical,
            LegendBackground = OxyColor.FromAColor(230, OxyColors.White), LegendBorder = OxyColors.LightGray,
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
                Title = LegendTitle(series.Name),
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
        // Text is measured with the PDF exporter's Helvetica metrics (Arial's): the SVG exporter's own estimate is far
        // narrower than any real font, and the legend box, sized from it, cut its labels off.
        new SvgExporter { Width = 800, Height = 480, TextMeasurer = new PdfRenderContext(800, 480, OxyColors.White) }.Export(model, stream);
    }

    /// <summary>
    /// OxyPlot sizes the legend box narrower than its entries and clips them (oxyplot/oxyplot#1618, #1737): trailing
    /// no-break spaces, invisible, widen each entry's measured text enough for the whole label to show.
    /// </summary>
    private static string LegendTitle(string name) => name + new string('\u00a0', (int)Math.Ceiling(name.Length * 0.6));
}
