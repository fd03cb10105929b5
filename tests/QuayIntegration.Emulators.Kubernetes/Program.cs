Console.WriteLine("emulator: not wired yet");
