using FsCheck;
using FsCheck.Fluent;
using Toolkit.Cli;

namespace Toolkit.Tests;

/// <summary>A mistyped command or option names the nearest one that exists.</summary>
public class SuggestionTests
{
    [TestCase("trian", "unknown command 'trian' for toolkit", "did you mean train?")]
    [TestCase("train --stesp 10", "unknown option '--stesp' for toolkit train", "did you mean --steps?")]
    [TestCase("bench trian", "unknown command 'trian' for toolkit bench", "did you mean train?")]
    [TestCase("probe runs/x --seedz 3", "unknown option '--seedz' for toolkit probe", "did you mean --seeds?")]
    public void A_typo_names_the_nearest_command_or_option(string args, string error, string hint)
    {
        var (code, _, err) = CliRunner.InProcess(args.Split(' '));
        Assert.That(code, Is.EqualTo(2));
        CliRunner.AssertTwoLineError(err, error);
        Assert.That(err, Does.Contain($"hint: {hint}"));
    }

    [Test]
    public void Something_unlike_any_name_gets_no_guess()
    {
        var (code, _, err) = CliRunner.InProcess("train", "--completely-different", "1");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("unknown option '--completely-different'").And.Not.Contain("did you mean"));
    }

    /// <summary>Any one-character slip (deleted, doubled, swapped or replaced) in any option of any command is answered
    /// with an option at most as far from the typo as the one intended, usually that one.</summary>
    [Test]
    public void Every_one_character_slip_gets_a_nearest_option()
    {
        var root = Cli.Commands.Commands.Root();
        var options = root.Subcommands.SelectMany(c => c.Options.Select(o => (Command: c, Name: o.Name)))
            .Where(x => x.Name.StartsWith("--", StringComparison.Ordinal) && x.Name.Length > 5).ToArray();
        var slips = Gen.Elements(options).SelectMany(x => Gen.Choose(2, x.Name.Length - 1).SelectMany(i => Gen.Choose(0, 3).Select(kind =>
        {
            var n = x.Name;
            var typed = kind switch
            {
                0 => n.Remove(i, 1),
                1 => n.Insert(i, n[i].ToString()),
                2 when i + 1 < n.Length => n[..i] + n[i + 1] + n[i] + n[(i + 1 + 1)..],
                _ => n[..i] + (n[i] == 'x' ? 'y' : 'x') + n[(i + 1)..],
            };
            return (x.Command, x.Name, Typed: typed);
        })));
        Prop.ForAll(slips.ToArbitrary(), s =>
        {
            var candidates = Suggestion.Candidates(s.Command, s.Typed, [root]).ToList();
            if (candidates.Contains(s.Typed)) return true;
            var nearest = NearestName.Of(s.Typed, candidates);
            return nearest is not null && NearestName.Distance(s.Typed, nearest) <= NearestName.Distance(s.Typed, s.Name);
        }).Check(PropertyConfig.Quick);
    }
}
