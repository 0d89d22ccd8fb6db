// Prelude for F# scripts: `#load "toolkit.fsx"` (dotnet fsi). Paths are relative to this file;
// build the CLI first: `dotnet build src/Toolkit.Cli -c Release`.
#r "../src/Toolkit.Cli/bin/Release/net10.0/Toolkit.Core.dll"
#r "../src/Toolkit.Cli/bin/Release/net10.0/Toolkit.Tasks.dll"
#r "../src/Toolkit.Cli/bin/Release/net10.0/Toolkit.Reports.dll"
#r "../src/Toolkit.Cli/bin/Release/net10.0/TorchSharp.dll"
#r "../src/Toolkit.Cli/bin/Release/net10.0/FsCheck.dll"
#r "../src/Toolkit.Cli/bin/Release/net10.0/Deedle.dll"
#r "../src/Toolkit.Cli/bin/Release/net10.0/Plotly.NET.dll"

// Before any TorchSharp call: the patched native library (Debian 12) and the OpenMP wait bound.
Toolkit.NativeRuntime.Initialize()

open TorchSharp
open Toolkit.Tasks
open Toolkit.Reports
