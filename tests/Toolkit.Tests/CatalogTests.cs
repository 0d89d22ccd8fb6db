using FsCheck;
using FsCheck.Fluent;
using Microsoft.FSharp.Collections;
using Toolkit.Model;
using Toolkit.Runs;
using Toolkit.Tasks;
using Toolkit.Training;

namespace Toolkit.Tests;

/// <summary>The catalog seen from C#: a task added from C# without editing the catalog, and every
/// registered task trainable through the same trainer (what <c>toolkit train --task NAME</c> runs).</summary>
public class CatalogTests
{
    /// <summary>A task written in C#: two tokens alternating, every position from the third on predictable.</summary>
    private sealed class Alternating(int context) : ITask
    {
        public string Name => "alternating";
        public IReadOnlyDictionary<string, string> Parameters => new Dictionary<string, string> { ["context"] = context.ToString() };
        public Vocabulary Vocabulary => new(10, ListModule.OfSeq(new[] { "PAD" }));
        public int Context => context;
        public Gen<Instance> Instances => Sampling.seed.Select(s => new Instance(MapModule.Empty<string, int>(), s));
        public Example Build(Instance i)
        {
            var ab = new FastRng(i.Seed).Distinct(1, 9, 2);
            var tokens = new int[context];
            var mask = new bool[context];
            for (var k = 0; k < context; k++) { tokens[k] = ab[k % 2]; mask[k] = k >= 2; }
            return new Example(tokens, mask, MapModule.Empty<string, int>());
        }
        public IEnumerable<Instance> Shrink(Instance i) => Array.Empty<Instance>();
        public FSharpList<Probe> Probes => FSharpList<Probe>.Empty;
        public FSharpList<int> SeenPeriods => ListModule.OfSeq(new[] { 2 });
        public FSharpList<int> PredictiveOffsets => ListModule.OfSeq(new[] { 1, 2 });
    }

    private sealed class AlternatingFactory : ITaskFactory
    {
        public string Name => "alternating";
        public string Summary => "two tokens alternating (a C# test task)";
        public FSharpList<ParamSpec> Parameters => ListModule.OfSeq(new[] { new ParamSpec("context", "16", "sequence length") });
        public ITask Create(IReadOnlyDictionary<string, string> given)
        {
            Params.checkKnown(Name, Parameters, given);
            return new Alternating(Params.@int(Parameters, given, "context"));
        }
    }

    [Test]
    public void A_task_written_in_Csharp_registers_without_editing_the_catalog_and_trains()
    {
        using var registration = Catalog.RegisterScoped(new AlternatingFactory());
        var task = Catalog.Create("alternating", new Dictionary<string, string> { ["context"] = "12" });
        // Its mask marks exactly the positions the alternation rule predicts (an independent oracle).
        Prop.ForAll(Gen.Choose(0, int.MaxValue).ToArbitrary(), seed =>
        {
            var ex = Sampling.examples(task, (ulong)seed, 1)[0];
            return Enumerable.Range(0, 12).All(i => ex.LossMask[i] == (i >= 2 && ex.Tokens[i] == ex.Tokens[i - 2]));
        }).Check(PropertyConfig.Quick);

        var dir = Path.Combine(Path.GetTempPath(), $"toolkit-alt-{Guid.NewGuid():N}");
        try
        {
            var result = Trainer.Train(new RunConfig
            {
                Model = new ModelConfig { NLayers = 1, NHeads = 2, DModel = 16, DVocab = 10, NCtx = 12 },
                Training = new TrainingConfig { Steps = 150, BatchSize = 16, LearningRate = 1e-2, WarmupSteps = 10, Threads = 1, EvalEvery = 150, EvalSequences = 32 },
                Task = TaskSpec.Of(task),
            }, dir);
            Assert.That(result.FinalEval.Accuracy, Is.GreaterThan(0.9), "a one-layer model learns to copy two back");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void Every_registered_task_trains_with_its_defaults()
    {
        foreach (var factory in Catalog.All)
        {
            var task = factory.Create(new Dictionary<string, string>());
            var dir = Path.Combine(Path.GetTempPath(), $"toolkit-every-{factory.Name}-{Guid.NewGuid():N}");
            try
            {
                var result = Trainer.Train(new RunConfig
                {
                    Model = new ModelConfig { NLayers = 1, NHeads = 2, DModel = 16, DVocab = task.Vocabulary.Size, NCtx = task.Context },
                    Training = new TrainingConfig { Steps = 3, BatchSize = 4, Threads = 1, WarmupSteps = 1, EvalEvery = 3, EvalSequences = 8 },
                    Task = TaskSpec.Of(task),
                }, dir);
                Assert.That(double.IsFinite(result.FinalTrainLoss), $"{factory.Name}: loss {result.FinalTrainLoss}");
                Assert.That(result.FinalEval.Positions, Is.GreaterThan(0), $"{factory.Name} has predictable positions");
                // The recorded spec recreates the same task.
                Assert.That(RunDirectory.Open(dir).ReadConfig().Task.Create().Parameters, Is.EquivalentTo(task.Parameters), factory.Name);
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }
}
