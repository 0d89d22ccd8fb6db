// Adding a task from a script: "associative-recall" is implemented here in C# (ITask + ITaskFactory),
// registered with Catalog.Register, and trained with the toolkit's own Trainer (by name, like any
// catalog task). The sequence lists key-value pairs (distinct tokens), then repeats some keys as
// queries; each query's value is predictable — an induction-style lookup ("what followed this key?").
//   ./toolkit run scripts/new-task.csx [--fast] [--out DIR] [--seed N] [--steps 1000] [--pairs 12]
#load "toolkit.csx"
#load "lib/experiment.csx"
using FsCheck;
using FsCheck.Fluent;
using Microsoft.FSharp.Collections;
using Toolkit.Analysis;
using Toolkit.Runs;
using Toolkit.Tasks;
using Toolkit.Training;

var exp = new Experiment("new-task", "A new task from a script: associative recall", Args);
Catalog.Register(new AssociativeRecallFactory());
var steps = exp.Setting("--steps", 1000, 20);
var pairs = exp.Setting("--pairs", 12, 3);
var spec = exp.Task("associative-recall", new() { ["pairs"] = pairs.ToString() });
var task = spec.Create();
Console.WriteLine("example: " + TaskRender.example(task, Sampling.examples(task, 1, 1)[0]));
var result = exp.Train("associative-recall", exp.Model(), spec, exp.Training(steps));
var model = result.Run.LoadModel();
var verdict = VerdictTables.Judge(result);
exp.Report.AddParagraph("Task associative-recall, defined in scripts/new-task.csx and registered in the catalog at run time. Example (predictable positions in [brackets]): "
    + TaskRender.example(task, Sampling.examples(task, 1, 1)[0]));
VerdictTables.Add(exp.Report, "associative-recall", verdict);
HeadTables.Add(exp.Report, "head scores", result.FinalHeads);
exp.Report.AddLineChart("training loss", "step", "loss", new[] { ("loss", result.LossCurve.Select(p => (double)p.Step).ToArray(), result.LossCurve.Select(p => p.Loss).ToArray()) });
exp.Csv("probes.csv", new[] { "model" }.Concat(VerdictTables.Columns).ToArray(), VerdictTables.CsvRows("associative-recall", verdict));
exp.Csv("heads.csv", HeadTables.Columns, HeadTables.Rows(result.FinalHeads));
var saved = RunConfig.Read(result.Run.ConfigPath).Task;
exp.Result($"registered task '{saved.Name}' ({string.Join(" ", saved.Parameters.Select(kv => kv.Key + "=" + kv.Value))}), catalog now lists it: {Catalog.All.Any(f => f.Name == "associative-recall")}");
exp.Result($"{steps} steps: loss {Fmt.F(result.LossCurve[0].Loss, 2)} -> {Fmt.F(result.LossCurve[^1].Loss)}; held-out accuracy {Fmt.P(result.FinalEval.Accuracy)}");
VerdictTables.Results(exp, "associative-recall", verdict);
VerdictTables.Measures(exp, "associative-recall", new[] { verdict });
exp.Result($"heads: {HeadTables.Summary(result.FinalHeads)}");
exp.Conclude($"a task written in a script trains through the toolkit like a built-in one; verdict on associative recall: {verdict.Headline} ({Fmt.P(result.FinalEval.Accuracy)}, chance {Fmt.P(verdict.Chance)}), " +
             (result.FinalHeads.Named(HeadRole.Induction).Count > 0 ? $"with induction heads {Fmt.Heads(result.FinalHeads.Named(HeadRole.Induction))} on the repeated-copy scoring batch: the same circuit serves key-value lookup." : "and no head scores as induction on the repeated-copy scoring batch."));
exp.Save();
model.Dispose();

/// <summary>Key-value pairs of distinct tokens, then queries (a key and its value); values after query keys are predictable.</summary>
public sealed class AssociativeRecall : ITask
{
    private readonly int _context, _vocab, _pairs, _queryPairs;
    private readonly bool _probe;
    public AssociativeRecall(int context, int vocab, int pairs, bool probe = false)
    {
        _context = context; _vocab = vocab; _pairs = pairs; _probe = probe;
        _queryPairs = (context - 2 * pairs) / 2;
        if (_queryPairs < 1 || 2 * pairs > vocab - 1)
            throw new TaskParameterException($"{pairs} pairs do not fit context {context} and vocab {vocab}", "use fewer pairs");
    }
    public string Name => "associative-recall";
    public IReadOnlyDictionary<string, string> Parameters => new Dictionary<string, string> { ["context"] = _context.ToString(), ["vocab"] = _vocab.ToString(), ["pairs"] = _pairs.ToString() };
    public Vocabulary Vocabulary => new Vocabulary(_vocab, ListModule.OfSeq(new[] { "PAD" }));
    public int Context => _context;
    public Gen<Instance> Instances => Sampling.seed.Select(s => new Instance(MapModule.Empty<string, int>(), s));
    public Example Build(Instance instance)
    {
        var rng = new FastRng(instance.Seed);
        var tokens = rng.Distinct(1, _vocab - 1, 2 * _pairs); // keys at even, values at odd indices
        var seq = new int[_context]; var mask = new bool[_context];
        for (var i = 0; i < 2 * _pairs; i++) seq[i] = tokens[i];
        // Queries: the listed keys in random order (cycling when there are more queries than pairs);
        // the probe variant asks them from the last listed to the first.
        var order = rng.Distinct(0, _pairs - 1, Math.Min(_queryPairs, _pairs));
        if (_probe) Array.Sort(order, (a, b) => b.CompareTo(a));
        var pos = 2 * _pairs;
        for (var q = 0; q < _queryPairs && pos + 1 < _context; q++, pos += 2)
        {
            var k = order[q % order.Length];
            seq[pos] = tokens[2 * k]; seq[pos + 1] = tokens[2 * k + 1];
            mask[pos + 1] = true;
        }
        return new Example(seq, mask, MapModule.Empty<string, int>());
    }
    public IEnumerable<Instance> Shrink(Instance i) => Array.Empty<Instance>();
    public FSharpList<Probe> Probes => _probe ? FSharpList<Probe>.Empty : ListModule.OfSeq(new[]
    {
        new Probe("reverse-order-queries", ProbeKind.Inside, "queries ask the keys from the last listed to the first", new AssociativeRecall(_context, _vocab, _pairs, probe: true)),
    });
    public FSharpList<int> SeenPeriods => FSharpList<int>.Empty;
    public FSharpList<int> PredictiveOffsets => FSharpList<int>.Empty;
}

public sealed class AssociativeRecallFactory : ITaskFactory
{
    private static readonly ParamSpec[] Specs =
    {
        new("context", "64", "sequence length"), new("vocab", "64", "vocabulary size, PAD included"), new("pairs", "12", "key-value pairs listed before the queries"),
    };
    public string Name => "associative-recall";
    public string Summary => "key-value pairs, then queries of listed keys; predict each key's value";
    public FSharpList<ParamSpec> Parameters => ListModule.OfSeq(Specs);
    public ITask Create(IReadOnlyDictionary<string, string> given)
    {
        Params.checkKnown(Name, Parameters, given);
        return new AssociativeRecall(Params.@int(Parameters, given, "context"), Params.@int(Parameters, given, "vocab"), Params.@int(Parameters, given, "pairs"));
    }
}
