Console.WriteLine("cluster emulator: not wired yet");
