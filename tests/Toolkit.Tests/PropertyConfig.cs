using FsCheck;
using Microsoft.FSharp.Core;

namespace Toolkit.Tests;

/// <summary>
/// The one FsCheck configuration of this assembly's properties. Every property starts from one fixed seed, so
/// `./toolkit test` gives the same draws on every run and a CI result can be reproduced. To explore new draws, set
/// TOOLKIT_PROPERTY_SEED=random (a failure names its seed) or to a seed, "S" or "S,G" as FsCheck prints it after a
/// failure ("Falsifiable ... (S,G)"); the run then replays exactly those draws.
/// </summary>
public static class PropertyConfig
{
    /// <summary>The seed properties start from when TOOLKIT_PROPERTY_SEED is not set.</summary>
    public const ulong DefaultSeed = 20261206;

    private static readonly FSharpOption<Replay> Start = FromEnvironment(Environment.GetEnvironmentVariable("TOOLKIT_PROPERTY_SEED"));

    /// <summary>Throws on failure (NUnit reports it), 100 cases unless told.</summary>
    public static Config Quick => Config.QuickThrowOnFailure.WithReplay(Start);

    /// <summary>Like <see cref="Quick"/> with maxTest cases.</summary>
    public static Config Cases(int maxTest) => Quick.WithMaxTest(maxTest);

    /// <summary>The replay a TOOLKIT_PROPERTY_SEED value names: none (FsCheck's random start) for "random".</summary>
    public static FSharpOption<Replay> FromEnvironment(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return Replay(DefaultSeed, 7);
        if (value.Trim() == "random") return FSharpOption<Replay>.None;
        var parts = value.Trim().Trim('(', ')').Split(',', StringSplitOptions.TrimEntries);
        var gamma = 7UL;
        if (parts.Length is 1 or 2 && ulong.TryParse(parts[0], out var seed) && (parts.Length == 1 || ulong.TryParse(parts[1], out gamma)))
            return Replay(seed, gamma);
        throw new ArgumentException($"TOOLKIT_PROPERTY_SEED={value} is not a seed: give \"random\", a number, or \"S,G\" as FsCheck prints it after a failure.");
    }

    private static FSharpOption<Replay> Replay(ulong seed, ulong gamma) =>
        FSharpOption<Replay>.Some(new Replay(new Rnd(seed, gamma | 1), FSharpOption<int>.None));
}
