using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;

namespace Toolkit.Tests.Interop;

/// <summary>What <c>toolkit import</c> takes and refuses (issue 26, cases 8 and 9): half-precision weights are upcast,
/// tensors that share bytes or lie outside the data section are refused, and a broken file or config gets a hint about
/// the file (how to save it again), never one about checkpoints.</summary>
public class ImportIntegrityTests
{
    private string dir = "";

    [SetUp]
    public void SetUp() => dir = Directory.CreateTempSubdirectory("toolkit-import-integrity-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(dir, recursive: true);

    private static TlModel Model() =>
        TlModel.Random(layers: 1, heads: 2, dModel: 6, dHead: 3, dVocab: 10, nCtx: 8, attnOnly: true, normalization: null);

    private (int Code, string Out, string Err) Import(string weights, string config) =>
        CliRunner.InProcess("import", weights, "--config", config, "--out", Path.Combine(dir, $"run-{Guid.NewGuid():N}"));

    private string Config(TlModel tl, string? json = null)
    {
        var path = Path.Combine(dir, "cfg.json");
        File.WriteAllText(path, json ?? tl.ConfigJson());
        return path;
    }

    /// <summary>The model's weights as F16 or BF16 (each float rounded to the nearest such value).</summary>
    private string HalfWeights(TlModel tl, string dtype)
    {
        var path = Path.Combine(dir, $"{dtype}.safetensors");
        TlModel.Write(path, tl.Weights.Select(kv => (kv.Key, dtype, kv.Value.Shape, kv.Value.Data.SelectMany(f => Half(f, dtype)).ToArray())).ToList());
        return path;
    }

    private static byte[] Half(float f, string dtype)
    {
        var bits = dtype == "F16" ? BitConverter.HalfToUInt16Bits((Half)f) : (ushort)(BitConverter.SingleToUInt32Bits(f) >> 16);
        return [(byte)bits, (byte)(bits >> 8)];
    }

    [TestCase("F16", "float16")]
    [TestCase("BF16", "bfloat16")]
    public void Half_precision_weights_are_upcast_on_import(string dtype, string word)
    {
        var tl = Model();
        var (code, output, err) = Import(HalfWeights(tl, dtype), Config(tl));
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(output, Does.Contain($"{word} tensors were upcast to float32"));
    }

    [Test]
    public void Tensors_that_share_bytes_are_refused()
    {
        var tl = Model();
        var weights = Path.Combine(dir, "overlap.safetensors");
        tl.WriteSafetensors(weights, buffers: false);
        // Point W_K at W_Q's bytes (same shape, same size): the file then holds one tensor under two names.
        var bytes = File.ReadAllBytes(weights);
        var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var header = Encoding.UTF8.GetString(bytes, 8, length);
        var q = Regex.Match(header, "\"blocks.0.attn.W_Q\":\\{[^}]*\"data_offsets\":(\\[[0-9]+,[0-9]+\\])").Groups[1].Value;
        header = Regex.Replace(header, "(\"blocks.0.attn.W_K\":\\{[^}]*\"data_offsets\":)\\[[0-9]+,[0-9]+\\]", m => m.Groups[1].Value + q);
        var newHeader = Encoding.UTF8.GetBytes(header);
        var file = new byte[8].Concat(newHeader).Concat(bytes[(8 + length)..]).ToArray();
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)newHeader.Length);
        File.WriteAllBytes(weights, file);

        var (code, _, err) = Import(weights, Config(tl));
        Assert.That(code, Is.EqualTo(2), err);
        CliRunner.AssertTwoLineError(err, "overlap");
        Assert.That(err, Does.Contain("blocks.0.attn.W_K").And.Contain("blocks.0.attn.W_Q"));
    }

    [TestCase(0, TestName = "A 0-byte file")]
    [TestCase(1, TestName = "A header length beyond the file")]
    public void A_broken_weights_file_gets_a_hint_about_saving_it_again(int kind)
    {
        var tl = Model();
        var weights = Path.Combine(dir, "broken.safetensors");
        if (kind == 0) File.WriteAllBytes(weights, []);
        else
        {
            var header = new byte[16];
            BinaryPrimitives.WriteUInt64LittleEndian(header, 1UL << 40);
            File.WriteAllBytes(weights, header);
        }
        var (code, _, err) = Import(weights, Config(tl));
        Assert.That(code, Is.EqualTo(2), err);
        CliRunner.AssertTwoLineError(err, "not a valid safetensors file");
        var hint = HintRunner.HintOf(err);
        Assert.That(hint, Does.Contain("save_file").And.Not.Contain("checkpoint").And.Not.Contain("retrain"));
    }

    [Test]
    public void An_n_ctx_too_large_for_the_toolkit_is_named_as_too_large_not_as_a_fraction()
    {
        var tl = Model();
        var weights = Path.Combine(dir, "model.safetensors");
        tl.WriteSafetensors(weights);
        var (code, _, err) = Import(weights, Config(tl, tl.ConfigJson().Replace("\"n_ctx\": 8", "\"n_ctx\": 1e12")));
        Assert.That(code, Is.EqualTo(2), err);
        CliRunner.AssertTwoLineError(err, "n_ctx 1e12 is too large");
        Assert.That(err, Does.Not.Contain("whole number"));
    }
}
