namespace Toolkit.Data;

/// <summary>Derives independent seeds from a run seed, so every batch is a pure function of
/// (run seed, stream, step): resuming needs no data-generator state, and evaluation data never
/// overlaps training data.</summary>
public static class Seeds
{
    /// <summary>Streams of data drawn during a run.</summary>
    public enum Stream : ulong { Train = 1, Eval = 2, Scoring = 3, Probe = 4, Baseline = 5, Corruption = 6 }

    /// <summary>A well-mixed 64-bit seed for (run seed, stream, index).</summary>
    public static ulong Derive(long runSeed, Stream stream, long index = 0) =>
        Mix(Mix(Mix((ulong)runSeed) ^ (ulong)stream) ^ (ulong)index);

    private static ulong Mix(ulong z)
    {
        // SplitMix64 finalizer.
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
