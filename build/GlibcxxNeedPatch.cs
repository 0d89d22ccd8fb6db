// Makes TorchSharp 0.107's libLibTorchSharp.so load on Debian 12 (libstdc++ 12, GLIBCXX_3.4.30)
// without touching the system's C or C++ library.
//
// Why this is safe: of every native library TorchSharp 0.107 and libtorch 2.10 ship, only
// libLibTorchSharp.so asks for GLIBCXX_3.4.32, and only for one symbol,
// std::ios_base_library_init() (_ZSt21ios_base_library_initv). GCC 13+ emits a reference to it
// from <iostream> purely to force that version: the symbol has no relocation, nothing calls it.
// The loader enforces a version *need* (an entry of .gnu.version_r) unless the entry is marked
// VER_FLG_WEAK, in which case a missing version is only reported under LD_DEBUG. So setting that
// one flag (one byte) in a copy of the library is the whole fix. `patchelf --clear-symbol-version`
// is not enough: it leaves the need entry, which the loader still enforces (patchelf issue #369).
//
// Guard rails: the patch refuses when any symbol other than std::ios_base_library_init() needs
// GLIBCXX_3.4.32 or newer (a future TorchSharp that really uses newer symbols must not be
// silently broken), and the result is checked by hash for the known TorchSharp 0.107 build.
//
// This file is compiled twice: by MSBuild's RoslynCodeTaskFactory (Directory.Build.targets), which
// runs the task after every build and publish, and by the test project with ELF_LOGIC_ONLY defined,
// which tests the ELF logic without MSBuild.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;

namespace Toolkit.Build
{
    /// <summary>The GLIBCXX version needs of an ELF shared library and the one-flag patch.</summary>
    public static class GlibcxxNeedPatch
    {
        /// <summary>The only symbol allowed to need GLIBCXX_3.4.32 or newer.</summary>
        public const string AllowedSymbol = "_ZSt21ios_base_library_initv";

        /// <summary>The version this patch weakens.</summary>
        public const string WeakenedVersion = "GLIBCXX_3.4.32";

        /// <summary>sha256 of TorchSharp 0.107.0's libLibTorchSharp.so (linux-x64) and of its patched copy.</summary>
        public static readonly IReadOnlyDictionary<string, string> KnownPatchedHashes = new Dictionary<string, string>
        {
            ["cf33b1b0bb6bbb9754a768fb5c5d04d9f498603be50e73f55621a0b40ee608b8"] = PatchedHash0107,
        };

        /// <summary>sha256 of the patched TorchSharp 0.107.0 library.</summary>
        public const string PatchedHash0107 = "5968efac8270eff8a2b5ca7381612ea9cc54d81cf4104a54e0e6106b7b5f11e3";

        private const uint ShtDynsym = 11, ShtGnuVerneed = 0x6ffffffe, ShtGnuVersym = 0x6fffffff;
        private const ushort VerFlgWeak = 2;

        /// <summary>One version-need entry (vernaux) of a library.</summary>
        public sealed class VersionNeed
        {
            public string File = "", Version = "";
            public ushort Flags, Index;
            /// <summary>Byte offset of the entry's vna_flags field.</summary>
            public long FlagsOffset;
            /// <summary>Undefined dynamic symbols bound to this version.</summary>
            public List<string> Symbols = new List<string>();
            public bool IsWeak => (Flags & VerFlgWeak) != 0;
        }

        /// <summary>Every version need of the library, with the symbols that use it.</summary>
        public static List<VersionNeed> ReadVersionNeeds(byte[] elf)
        {
            if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
                throw new InvalidDataException("not an ELF file");
            if (elf[4] != 2 || elf[5] != 1)
                throw new InvalidDataException("not a 64-bit little-endian ELF file");
            long shoff = (long)U64(elf, 0x28);
            int shentsize = U16(elf, 0x3A), shnum = U16(elf, 0x3C);
            var sections = Enumerable.Range(0, shnum).Select(i =>
            {
                long h = shoff + (long)i * shentsize;
                return (Type: U32(elf, h + 4), Offset: (long)U64(elf, h + 0x18), Size: (long)U64(elf, h + 0x20),
                    Link: (int)U32(elf, h + 0x28), Info: (int)U32(elf, h + 0x2C));
            }).ToList();

            var verneed = sections.FirstOrDefault(s => s.Type == ShtGnuVerneed);
            var needs = new List<VersionNeed>();
            if (verneed.Size == 0) return needs;
            long strtab = sections[verneed.Link].Offset;
            long vn = verneed.Offset;
            for (int i = 0; i < verneed.Info; i++)
            {
                int count = U16(elf, vn + 2);
                string file = Str(elf, strtab + U32(elf, vn + 4));
                long aux = vn + U32(elf, vn + 8);
                for (int j = 0; j < count; j++)
                {
                    needs.Add(new VersionNeed
                    {
                        File = file,
                        Flags = (ushort)U16(elf, aux + 4),
                        FlagsOffset = aux + 4,
                        Index = (ushort)U16(elf, aux + 6),
                        Version = Str(elf, strtab + U32(elf, aux + 8)),
                    });
                    aux += U32(elf, aux + 12);
                }
                vn += U32(elf, vn + 12);
            }

            var dynsym = sections.First(s => s.Type == ShtDynsym);
            var versym = sections.First(s => s.Type == ShtGnuVersym);
            long dynstr = sections[dynsym.Link].Offset;
            var byIndex = needs.ToDictionary(n => n.Index);
            for (long k = 0; k < dynsym.Size / 24; k++)
            {
                long sym = dynsym.Offset + k * 24;
                bool undefined = U16(elf, sym + 6) == 0;
                int version = U16(elf, versym.Offset + k * 2) & 0x7fff;
                if (undefined && byIndex.TryGetValue((ushort)version, out var need))
                    need.Symbols.Add(Str(elf, dynstr + U32(elf, sym)));
            }
            return needs;
        }

        /// <summary>GLIBCXX needs at or above 3.4.32, the ones Debian 12 cannot satisfy.</summary>
        public static List<VersionNeed> NewerThanDebian12(IEnumerable<VersionNeed> needs) =>
            needs.Where(n => n.Version.StartsWith("GLIBCXX_3.4.", StringComparison.Ordinal)
                && int.TryParse(n.Version.Substring("GLIBCXX_3.4.".Length), out var minor) && minor >= 32).ToList();

        /// <summary>Returns the patched bytes, or throws naming what makes the patch unsafe.
        /// Returns the input unchanged when nothing needs GLIBCXX_3.4.32 (already weak, or not needed).</summary>
        public static byte[] Patch(byte[] elf)
        {
            var newer = NewerThanDebian12(ReadVersionNeeds(elf));
            var unsafeNeeds = newer.Where(n => n.Version != WeakenedVersion || n.Symbols.Any(s => s != AllowedSymbol)).ToList();
            if (unsafeNeeds.Count > 0)
                throw new InvalidOperationException(
                    "this libLibTorchSharp.so needs newer C++ library symbols than the one-flag patch can cover: " +
                    string.Join("; ", unsafeNeeds.Select(n => $"{n.Version}: {string.Join(", ", n.Symbols.DefaultIfEmpty("(no symbol)"))}")) +
                    ". Install a libstdc++ from GCC 13 or newer (./toolkit --system-libstdcxx on Debian 12), or use TorchSharp 0.107.");
            var patched = (byte[])elf.Clone();
            foreach (var need in newer.Where(n => !n.IsWeak))
                patched[need.FlagsOffset] |= (byte)VerFlgWeak;
            return patched;
        }

        /// <summary>Lower-case hex sha256.</summary>
        public static string Sha256(byte[] bytes)
        {
            using var sha = SHA256.Create();
            return string.Concat(sha.ComputeHash(bytes).Select(b => b.ToString("x2")));
        }

        /// <summary>Copies <paramref name="source"/> (the package's original) to <paramref name="destination"/>
        /// with the patch applied, atomically; returns a line saying what was done.</summary>
        public static string CopyPatched(string source, string destination)
        {
            var original = File.ReadAllBytes(source);
            var patched = Patch(original);
            var originalHash = Sha256(original);
            var patchedHash = Sha256(patched);
            string note;
            if (KnownPatchedHashes.TryGetValue(originalHash, out var expected))
            {
                if (expected != PatchedHash0107 || patchedHash != expected)
                    throw new InvalidOperationException($"patched libLibTorchSharp.so has sha256 {patchedHash}, expected {expected}");
                note = "TorchSharp 0.107.0 build, hash verified";
            }
            else
                note = $"unknown build (sha256 {originalHash}); structural check passed";
            if (File.Exists(destination) && Sha256(File.ReadAllBytes(destination)) == patchedHash)
                return $"{destination}: already patched ({note})";
            var temp = destination + ".tmp-" + Guid.NewGuid().ToString("N");
            File.WriteAllBytes(temp, patched);
            // Rename over the old copy, so a reader never sees half a library (netstandard2.0 has no
            // File.Move(overwrite), and File.Replace needs an existing destination).
            if (File.Exists(destination)) File.Replace(temp, destination, null);
            else File.Move(temp, destination);
            return ReferenceEquals(patched, original) || patchedHash == originalHash
                ? $"{destination}: copied, no GLIBCXX_3.4.32 need to weaken ({note})"
                : $"{destination}: GLIBCXX_3.4.32 need marked weak ({note})";
        }

        private static int U16(byte[] b, long o) => b[o] | (b[o + 1] << 8);
        private static uint U32(byte[] b, long o) => (uint)(b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24));
        private static ulong U64(byte[] b, long o) => U32(b, o) | ((ulong)U32(b, o + 4) << 32);
        private static string Str(byte[] b, long o)
        {
            long end = o;
            while (b[end] != 0) end++;
            return Encoding.ASCII.GetString(b, (int)o, (int)(end - o));
        }
    }

#if !ELF_LOGIC_ONLY
    /// <summary>MSBuild task: for each (Source, Destination) pair, copy the package's original
    /// libLibTorchSharp.so to the output with the GLIBCXX_3.4.32 need weakened.</summary>
    public sealed class PatchLibTorchSharp : Microsoft.Build.Utilities.Task
    {
        /// <summary>Original libraries; metadata Destination = where the patched copy goes.</summary>
        [Microsoft.Build.Framework.Required]
        public Microsoft.Build.Framework.ITaskItem[] Libraries { get; set; } = Array.Empty<Microsoft.Build.Framework.ITaskItem>();

        public override bool Execute()
        {
            foreach (var item in Libraries)
            {
                var destination = item.GetMetadata("Destination");
                try
                {
                    Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Normal, GlibcxxNeedPatch.CopyPatched(item.ItemSpec, destination));
                }
                catch (Exception e) when (e is InvalidOperationException || e is InvalidDataException || e is IOException)
                {
                    Log.LogError($"toolkit: cannot prepare {destination}: {e.Message}");
                }
            }
            return !Log.HasLoggedErrors;
        }
    }
#endif
}
