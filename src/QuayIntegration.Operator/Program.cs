Console.WriteLine("QuayIntegration operator: not wired yet");
