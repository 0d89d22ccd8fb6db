namespace Toolkit.Tasks

open System
open System.Globalization
open FsCheck.FSharp
open Toolkit.Tasks.TaskSupport

/// Which side of the fixed train/test split a modular-addition task draws.
type PairSide =
    | TrainPairs
    | TestPairs

/// Settings of the modular-addition family.
type ModularAdditionSettings = {
    /// The modulus, a prime.
    P: int
    /// The share of the p² pairs (a, b) in the training split.
    Fraction: float
    /// Seeds the shuffle that splits the pairs.
    Split: uint64
    /// The side of the split this task draws: training, or the held-out-pairs probe.
    Pairs: PairSide
}

/// The training split of the pairs, fixed by (p, fraction, split seed): shuffled with a seeded Fisher-Yates, the first
/// round(fraction · p²) are training pairs. Pair (a, b) is index a·p + b.
module ModularSplit =
    /// The number of training pairs.
    let trainCount (p: int) (fraction: float) =
        int (Math.Round(fraction * float (p * p), MidpointRounding.AwayFromZero))

    /// For every pair index, whether it is a training pair.
    let isTrain (p: int) (fraction: float) (split: uint64) : bool[] =
        let order = FastRng(split).Distinct(0, p * p - 1, p * p)
        let train = Array.zeroCreate (p * p)

        for k in 0 .. trainCount p fraction - 1 do
            train.[order.[k]] <- true

        train

/// `modular-addition` (Nanda et al. 2023, "Progress measures for grokking via mechanistic interpretability"): the
/// tokens "a b =" with a, b in 0..p−1 (token ids a and b; "=" is id p), then c = (a + b) mod p, the one predictable
/// position. The p² pairs are split once into training and held-out pairs by the split seed; training draws only
/// training pairs, the inside probe held-out-pairs only the others. Every training pair is listed
/// (IFiniteSupport), so a full-batch run trains on the whole split at every step.
type ModularAddition(s: ModularAdditionSettings) =
    inherit FamilyTask<ModularAdditionSettings>("modular-addition", s, 4)

    static let specs: ParamSpec list = [
        {
            Name = "p"
            Default = "113"
            Help = "the modulus, a prime (3..997)"
        }
        {
            Name = "fraction"
            Default = "0.3"
            Help = "share of the p² pairs (a, b) in the training split"
        }
        {
            Name = "split"
            Default = "0"
            Help = "seed of the train/test split of the pairs"
        }
        {
            Name = "pairs"
            Default = "train"
            Help = "the side of the split drawn: train, or test (what the held-out-pairs probe draws)"
        }
    ]

    static let isPrime n =
        n >= 2 && Seq.forall (fun d -> n % d <> 0) (seq { 2 .. int (sqrt (float n)) })

    do
        if s.P < 3 || s.P > 997 || not (isPrime s.P) then
            fail $"p {s.P} is not a prime in 3..997" "use a prime modulus such as 113 (the paper's), 59 or 7"

        if not (Double.IsFinite s.Fraction) || s.Fraction <= 0.0 || s.Fraction >= 1.0 then
            fail $"fraction {s.Fraction} is outside (0, 1)" "use a share of the pairs such as fraction=0.3"

        let n = ModularSplit.trainCount s.P s.Fraction

        if n < 1 || n >= s.P * s.P then
            fail
                $"fraction {s.Fraction} of the {s.P * s.P} pairs leaves {n} training and {s.P * s.P - n} held-out pairs"
                "choose a fraction that leaves at least one pair on each side"

    let train = ModularSplit.isTrain s.P s.Fraction s.Split
    let drawn = fun k -> train.[k] = (s.Pairs = TrainPairs)

    /// The pair indices this task draws, in increasing order.
    let indices = [|
        for k in 0 .. s.P * s.P - 1 do
            if drawn k then
                k
    |]

    let vocab = { Size = s.P + 1; Reserved = [] }

    let probes = FamilyProbes(fun settings -> ModularAddition(settings) :> ITask)

    let pair a b = {
        Shape = Map [ "a", a; "b", b ]
        Seed = 0UL
    }

    let drawsPair a b =
        a >= 0 && a < s.P && b >= 0 && b < s.P && drawn (a * s.P + b)

    static let fractionText (f: float) =
        f.ToString("R", CultureInfo.InvariantCulture)

    /// The factory registered in the catalog: creates this family from text parameters.
    static member Factory =
        TaskFamily.factory "modular-addition" "a + b mod p from a fixed share of the pairs (grokking, Nanda et al. 2023)" specs (fun p ->
            let fraction =
                let text = p.Text "fraction"

                match Double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture) with
                | true, v -> v
                | _ -> fail $"fraction '{text}' is not a number" "give the share of pairs for training, e.g. fraction=0.3"

            let split =
                let text = p.Text "split"

                match UInt64.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture) with
                | true, v -> v
                | _ -> fail $"split '{text}' is not a seed (a whole number ≥ 0)" "give the split seed as a number, e.g. split=0"

            ModularAddition(
                {
                    P = p.Int "p"
                    Fraction = fraction
                    Split = split
                    Pairs =
                        match p.Choice("pairs", [ "train"; "test" ]) with
                        | "test" -> TestPairs
                        | _ -> TrainPairs
                }
            ))

    /// The token id of "=".
    member _.EqualsToken = s.P

    /// Whether pair (a, b) is in the training split (the same for both sides of one split).
    member _.IsTrainPair(a: int, b: int) = train.[a * s.P + b]

    interface ITokenNames with
        member _.TokenName t = if t = s.P then "=" else string t

    override _.Vocabulary = vocab

    override _.Parameters =
        paramsDict [
            "p", string s.P
            "fraction", fractionText s.Fraction
            "split", string s.Split
            "pairs", (if s.Pairs = TrainPairs then "train" else "test")
        ]

    override _.Probes =
        match s.Pairs with
        | TrainPairs ->
            [
                probes.Probe(
                    "held-out-pairs",
                    Inside,
                    $"the {s.P * s.P - indices.Length} pairs (a, b) held out of training by split {s.Split}",
                    { s with Pairs = TestPairs }
                )
            ]
            |> List.choose id
        | TestPairs -> []

    override _.Instances =
        Gen.choose (0, indices.Length - 1)
        |> Gen.map (fun i -> pair (indices.[i] / s.P) (indices.[i] % s.P))

    override _.Build inst =
        let a, b = shape inst "a", shape inst "b"

        if a < 0 || a >= s.P || b < 0 || b >= s.P then
            fail $"instance a={a} b={b} is outside 0..{s.P - 1}" "draw a and b below p"

        {
            Tokens = [| a; b; s.P; (a + b) % s.P |]
            LossMask = [| false; false; false; true |]
            Meta = inst.Shape
        }

    override _.Shrink inst =
        let a, b = shape inst "a", shape inst "b"

        seq {
            for a' in [ 0; a / 2; a - 1 ] do
                if a' < a && drawsPair a' b then
                    yield pair a' b

            for b' in [ 0; b / 2; b - 1 ] do
                if b' < b && drawsPair a b' then
                    yield pair a b'
        }
        |> Seq.distinct

    interface IFiniteSupport with
        member _.All = [ for k in indices -> pair (k / s.P) (k % s.P) ]

    interface IShapeSupport with
        member _.Draws shape =
            match tryShape [ "a"; "b" ] shape with
            | Some [ a; b ] -> drawsPair a b
            | _ -> false
