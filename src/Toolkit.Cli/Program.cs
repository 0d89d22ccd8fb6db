using Toolkit.Cli;

// The toolkit program: a thin shell over the library (see Commands/). The native runtime is prepared first,
// before any command can reach TorchSharp (the OpenMP wait bound must be set before libgomp loads).
Toolkit.NativeRuntime.Initialize();
return CommandLine.Invoke(Toolkit.Cli.Commands.Commands.Root(), args);
