using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace Toolkit.Runs;

/// <summary>Reads and writes the safetensors format (used by Hugging Face and TransformerLens).</summary>
/// <remarks>Layout: 8-byte little-endian header length N; N bytes of JSON mapping each name to
/// {dtype, shape, data_offsets:[begin,end]} (offsets into the data that follows), plus an optional
/// "__metadata__" map of strings; then the raw little-endian tensor bytes. Writes F32, F64, I64, BOOL; reads those and
/// F16 and BF16 (TransformerLens models are often saved in half precision; they load into float32 weights exactly).
/// Every tensor's bytes must lie inside the data section, and no two tensors may share a byte.</remarks>
public static class SafeTensors
{
    private static readonly Dictionary<ScalarType, (string Name, int Size)> Types = new()
    {
        [ScalarType.Float32] = ("F32", 4),
        [ScalarType.Float64] = ("F64", 8),
        [ScalarType.Int64] = ("I64", 8),
        [ScalarType.Bool] = ("BOOL", 1),
    };

    /// <summary>Writes tensors (in the given order) and string metadata to a stream.</summary>
    public static void Write(Stream stream, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var blobs = new List<byte[]>();
        using var header = new MemoryStream();
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata) json.WriteString(k, v);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, t) in tensors)
            {
                if (!Types.TryGetValue(t.dtype, out var type))
                    throw new NotSupportedException($"safetensors writer: dtype {t.dtype} of {name} is not supported");
                var bytes = Bytes(t);
                json.WriteStartObject(name);
                json.WriteString("dtype", type.Name);
                json.WriteStartArray("shape");
                foreach (var d in t.shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + bytes.Length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += bytes.Length;
                blobs.Add(bytes);
            }
            json.WriteEndObject();
        }
        // Pad the header with spaces to a multiple of 8 so the data is aligned.
        var headerBytes = header.ToArray().ToList();
        while (headerBytes.Count % 8 != 0) headerBytes.Add((byte)' ');
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)headerBytes.Count);
        stream.Write(length);
        stream.Write(headerBytes.ToArray());
        foreach (var blob in blobs) stream.Write(blob);
    }

    /// <summary>Half-precision types the reader takes (as tensors of that type) but the writer does not.</summary>
    private static readonly Dictionary<string, ScalarType> ReadOnlyTypes = new() { ["F16"] = ScalarType.Float16, ["BF16"] = ScalarType.BFloat16 };

    /// <summary>Reads every tensor (on the CPU) and the metadata.</summary>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Read(string path)
    {
        var all = File.ReadAllBytes(path);
        if (all.Length < 8) throw Invalid(path, "shorter than its 8-byte header length");
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(all.AsSpan(0, 8));
        if (headerLength > (ulong)all.Length - 8) throw Invalid(path, "header length beyond the end of the file");
        var dataStart = 8 + (int)headerLength;
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try { return ReadEntries(path, all, (int)headerLength, dataStart, tensors); }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException
                                     or OverflowException or ArgumentException or IndexOutOfRangeException)
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw Invalid(path, $"its header is damaged ({e.Message.Split('\n')[0]})");
        }
        catch (ToolkitException)
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw;
        }
    }

    private static (Dictionary<string, Tensor>, Dictionary<string, string>) ReadEntries(
        string path, byte[] all, int headerLength, int dataStart, Dictionary<string, Tensor> tensors)
    {
        using var doc = JsonDocument.Parse(all.AsMemory(8, headerLength));
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var ranges = new List<(long Begin, long End, string Name)>();
        if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Invalid(path, "its header is not a JSON object");
        foreach (var entry in doc.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__")
            {
                foreach (var m in entry.Value.EnumerateObject()) metadata[m.Name] = m.Value.GetString() ?? "";
                continue;
            }
            if (tensors.ContainsKey(entry.Name)) throw Invalid(path, $"{entry.Name} is named twice");
            var dtype = entry.Value.GetProperty("dtype").GetString();
            var shape = entry.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var type = Types.FirstOrDefault(kv => kv.Value.Name == dtype);
            var half = dtype is not null && ReadOnlyTypes.ContainsKey(dtype);
            if (type.Value.Name is null && !half) throw Invalid(path, $"dtype {dtype} of {entry.Name} is not supported (only F32, F64, F16, BF16, I64, BOOL)");
            if (shape.Any(d => d < 0) || offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0])
                throw Invalid(path, $"shape or data offsets of {entry.Name} are impossible");
            var count = shape.Aggregate(1L, (a, b) => checked(a * b));
            if (offsets[1] - offsets[0] != checked(count * (half ? 2 : type.Value.Size)))
                throw Invalid(path, $"data offsets of {entry.Name} do not match its shape");
            if (dataStart + offsets[1] > all.Length)
                throw Invalid(path, $"the bytes of {entry.Name} ({offsets[0]}..{offsets[1]}) lie beyond the data section ({all.Length - dataStart} bytes)");
            ranges.Add((offsets[0], offsets[1], entry.Name));
            var span = all.AsSpan(dataStart + (int)offsets[0], (int)(offsets[1] - offsets[0]));
            tensors[entry.Name] = half ? FromHalf(span, dtype!, shape) : FromBytes(span, type.Key, shape);
        }
        // Two names over the same bytes would import one tensor twice under different names.
        var sorted = ranges.Where(r => r.End > r.Begin).OrderBy(r => r.Begin).ToList();
        for (var i = 1; i < sorted.Count; i++)
            if (sorted[i].Begin < sorted[i - 1].End)
                throw Invalid(path, $"the bytes of {sorted[i].Name} ({sorted[i].Begin}..{sorted[i].End}) overlap those of {sorted[i - 1].Name} ({sorted[i - 1].Begin}..{sorted[i - 1].End})");
        return (tensors, metadata);
    }

    private static ToolkitException Invalid(string path, string why) =>
        new($"{path} is not a valid safetensors file: {why}", "write it again with safetensors (safetensors.torch.save_file) or the toolkit");

    private static byte[] Bytes(Tensor t)
    {
        using var c = t.detach().cpu().contiguous();
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors needs a little-endian machine");
        return t.dtype switch
        {
            ScalarType.Float32 => MemoryMarshal.AsBytes(c.data<float>().ToArray().AsSpan()).ToArray(),
            ScalarType.Float64 => MemoryMarshal.AsBytes(c.data<double>().ToArray().AsSpan()).ToArray(),
            ScalarType.Int64 => MemoryMarshal.AsBytes(c.data<long>().ToArray().AsSpan()).ToArray(),
            _ => c.data<bool>().ToArray().Select(b => b ? (byte)1 : (byte)0).ToArray(),
        };
    }

    /// <summary>F16 or BF16 bytes as a tensor of that type (decoded through float32, which holds both exactly).</summary>
    private static Tensor FromHalf(ReadOnlySpan<byte> bytes, string dtype, long[] shape)
    {
        var bits = MemoryMarshal.Cast<byte, ushort>(bytes);
        var values = new float[bits.Length];
        for (var i = 0; i < values.Length; i++)
            values[i] = dtype == "F16" ? (float)BitConverter.UInt16BitsToHalf(bits[i]) : BitConverter.Int32BitsToSingle(bits[i] << 16);
        using var wide = tensor(values, shape);
        return wide.to(ReadOnlyTypes[dtype]);
    }

    private static Tensor FromBytes(ReadOnlySpan<byte> bytes, ScalarType type, long[] shape) => type switch
    {
        ScalarType.Float32 => tensor(MemoryMarshal.Cast<byte, float>(bytes).ToArray(), shape),
        ScalarType.Float64 => tensor(MemoryMarshal.Cast<byte, double>(bytes).ToArray(), shape),
        ScalarType.Int64 => tensor(MemoryMarshal.Cast<byte, long>(bytes).ToArray(), shape),
        _ => tensor(bytes.ToArray().Select(b => b != 0).ToArray(), shape),
    };
}
