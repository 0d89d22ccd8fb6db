using Toolkit.Experiments;
using Toolkit.Training;

namespace Toolkit.Tests.Stability;

/// <summary>Training and analysis finish while another thread forces garbage collections and runs
/// finalizers in a loop: the condition under which TorchSharp 0.107 frees temporary Scalars during
/// native calls ("Expected false to be true ... Scalar.h"), and under which a finalizer freeing any
/// other native object too early would show.</summary>
/// <remarks>The race window is narrow: with the temporaries put back (TorchSharp's own AdamW step with
/// implicit Scalars, or attention's additions with an implicit alpha), one such run passed under 4,000
/// and 7,000 forced collections. The guard against temporaries is therefore the static check
/// (ImplicitScalarCheckTests, which names each of those lines); this test is a smoke test of the whole
/// pipeline under collections, run once (three times took 108 s of the suite).</remarks>
[NonParallelizable]
public class GcStressTests
{
    /// <summary>Runs <paramref name="body"/> while a background thread collects garbage non-stop;
    /// returns how many collections happened meanwhile.</summary>
    public static int UnderGcPressure(Action body)
    {
        var stop = false;
        var collections = 0;
        var gc = new Thread(() =>
        {
            while (!Volatile.Read(ref stop))
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                collections++;
                // A millisecond between full collections: hundreds per second still free any
                // unreachable Scalar within a native call, without stopping the world non-stop.
                Thread.Sleep(1);
            }
        }) { IsBackground = true, Name = "gc-pressure" };
        gc.Start();
        try { body(); }
        finally
        {
            Volatile.Write(ref stop, true);
            gc.Join();
        }
        return collections;
    }

    [Test]
    public void Demo_training_and_a_full_analyze_finish_under_forced_collections()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"toolkit-gc-stress-{Guid.NewGuid():N}");
        try
        {
            // The demo's variable-period model, 300 steps; one torch thread leaves a core to the GC loop.
            var config = MemorizationDemo.Config("6..29", 300, seed: 1, threads: 1);
            TrainingResult? result = null;
            var collections = UnderGcPressure(() => result = Trainer.Train(config, dir));
            Assert.That(result!.Steps, Is.EqualTo(300));
            Assert.That(double.IsFinite(result.FinalTrainLoss));
            (int Code, string Out, string Err) analyze = default;
            var analyzeCollections = UnderGcPressure(() => analyze = CliRunner.InProcess("analyze", dir));
            Assert.That(analyze.Code, Is.EqualTo(0), analyze.Err);
            TestContext.Progress.WriteLine($"gc stress: 300 steps under {collections} forced collections, analyze under {analyzeCollections}");
            Assert.That(collections, Is.GreaterThan(10), "the pressure thread must actually have run");
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}
