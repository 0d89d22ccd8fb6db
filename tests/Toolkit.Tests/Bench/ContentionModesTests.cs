using Toolkit.Cli.Bench;

namespace Toolkit.Tests.Bench;

/// <summary>bench contention's pairing: each round times every chosen mode once, in an order rotated by the round, and
/// --modes keeps the baseline every ratio needs.</summary>
public class ContentionModesTests
{
    [Test]
    public void Every_round_times_each_mode_once_and_no_mode_always_goes_first()
    {
        foreach (var modes in new[] { Contention.Modes, Contention.Select("default,spin1000"), Contention.Select("passive,default,spin10000") })
        {
            var firsts = new HashSet<string>();
            for (var round = 0; round < 2 * modes.Count; round++)
            {
                var order = PairedRounds.Order(modes, round);
                Assert.That(order.Select(m => m.Key).Order(), Is.EqualTo(modes.Select(m => m.Key).Order()), $"round {round}");
                firsts.Add(order[0].Key);
            }
            Assert.That(firsts, Has.Count.EqualTo(modes.Count), "every mode goes first in some round");
        }
    }

    [Test]
    public void Modes_are_chosen_by_key_in_the_benchmark_order_with_the_baseline_first()
    {
        Assert.That(Contention.Select("all"), Is.EqualTo(Contention.Modes));
        Assert.That(Contention.Select("spin1000, default").Select(m => m.Key), Is.EqualTo(new[] { "default", "spin1000" }));
        Assert.That(Contention.Select("default,spin1000"), Does.Contain(Contention.Toolkit));
        var unknown = Assert.Throws<ToolkitException>(() => Contention.Select("default,spin7"))!;
        Assert.That(unknown.Message, Does.Contain("'spin7'"));
        Assert.That(unknown.Hint, Does.Contain("spin1000"));
        var noBaseline = Assert.Throws<ToolkitException>(() => Contention.Select("passive"))!;
        Assert.That(noBaseline.Hint, Does.Contain("--modes default,passive"));
    }
}
