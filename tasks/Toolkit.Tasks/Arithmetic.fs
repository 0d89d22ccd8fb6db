namespace Toolkit.Tasks

open FsCheck.FSharp
open Toolkit.Tasks.TaskSupport

/// Settings of the arithmetic family.
type ArithmeticSettings = {
    Context: int
    /// Digits per operand (each operand draws its own count in 1..digits).
    Digits: IntRange
    /// Digit counts of the range never drawn (the held-out-digits probe draws only these).
    Holdout: int list
    /// Operands per problem: 2 for a+b, 3 for the chained a+b+c.
    Terms: IntRange
    /// Write answers least significant digit first (carries then flow left to right).
    Reverse: bool
}

/// `arithmetic`: multi-digit additions "12+345=357" written one character per token, EOS after
/// each answer, problems packed back to back, PAD at the end. Predictable: every answer digit and
/// the EOS after it (the operands and "=" fix them).
type Arithmetic(s: ArithmeticSettings) =
    inherit FamilyTask<ArithmeticSettings>("arithmetic", s, s.Context)

    static let specs: ParamSpec list = [
        TaskFamily.contextSpec 64
        {
            Name = "digits"
            Default = "1..3"
            Help = "digits of the longest operand of a problem, a number or range"
        }
        holdoutSpec "digit counts"
        {
            Name = "terms"
            Default = "2"
            Help = "operands per problem: 2 (a+b) or more (a+b+c)"
        }
        {
            Name = "reverse"
            Default = "false"
            Help = "write answers least significant digit first"
        }
    ]

    static let symbols = "0123456789+="

    static let vocab = {
        Size = 2 + symbols.Length
        Reserved = [ "PAD"; "EOS" ]
    }

    static let digit d = 2 + d
    static let plus, equals, eos = 12, 13, 1

    /// Longest problem: terms operands of `digits` digits, the + signs, =, answer, EOS.
    static let longest digits terms =
        let answer = digits + (int (ceil (log10 (float terms)))) // carries add at most log10(terms) digits
        terms * digits + (terms - 1) + 1 + answer + 1

    do
        if s.Digits.Lo < 1 || s.Digits.Hi > 9 then
            fail $"digits {s.Digits} is outside 1..9" "use digits from 1 to 9 (operands fit in 64 bits)"

        checkHoldout "digits" s.Digits s.Holdout

        if s.Terms.Lo < 2 || s.Terms.Hi > 9 then
            fail $"terms {s.Terms} is outside 2..9" "use terms=2 (a+b) up to 9"

        if longest s.Digits.Hi s.Terms.Hi > s.Context then
            fail
                $"a problem of {s.Terms.Hi} operands of {s.Digits.Hi} digits needs {longest s.Digits.Hi s.Terms.Hi} tokens, more than context {s.Context}"
                "use fewer digits or terms, or a longer --n-ctx"

    let digitCounts = allowedValues s.Digits s.Holdout

    let probes = FamilyProbes(fun settings -> Arithmetic(settings) :> ITask)

    /// The text of a token: digits, '+', '=', or a reserved name.
    static member TokenText(t: int) =
        if t >= 2 && t < vocab.Size then
            string symbols.[t - 2]
        else
            (if t = 0 then "PAD"
             elif t = 1 then "EOS"
             else string t)

    /// The factory registered in the catalog: creates this family from text parameters.
    static member Factory =
        TaskFamily.factory "arithmetic" "multi-digit addition (a+b, a+b+c) character by character, answer digits masked" specs (fun p ->
            Arithmetic(
                {
                    Context = p.Int "context"
                    Digits = p.Range "digits"
                    Holdout = p.Holdout "digits"
                    Terms = p.Range "terms"
                    Reverse = p.Bool "reverse"
                }
            ))

    interface ITokenNames with
        member _.TokenName t = Arithmetic.TokenText t

    override _.Vocabulary = vocab

    override _.Parameters =
        paramsDict [
            "context", string s.Context
            "digits", string s.Digits
            "holdout", holdoutText s.Holdout
            "terms", string s.Terms
            "reverse", TaskFamily.boolText s.Reverse
        ]

    override _.Probes =
        // Inside: digit counts held out of the trained range. Outside: one digit or one operand more than training, up
        // to the 9 an operand or a problem may have.
        [
            probes.HeldOut(
                "held-out-digits",
                $"operands of {holdoutText s.Holdout} digits inside {s.Digits}, held out of training",
                s.Digits,
                s.Holdout,
                fun h -> { s with Holdout = h }
            )
            probes.Beyond(
                "more-digits",
                Outside,
                s.Digits,
                min 9 (s.Digits.Hi + 1),
                (fun r -> $"operands of {r.Lo} digits (training {s.Digits})"),
                fun r -> { s with Digits = r; Holdout = [] }
            )
            probes.Beyond(
                "more-terms",
                Outside,
                s.Terms,
                min 9 (s.Terms.Hi + 1),
                (fun r -> $"{r.Lo} operands (training {s.Terms})"),
                fun r -> { s with Terms = r }
            )
        ]
        |> List.choose id

    override _.Instances =
        gen {
            let! d = Gen.elements digitCounts
            let! t = Gen.choose (s.Terms.Lo, s.Terms.Hi)
            let! seed = Sampling.seed

            return {
                Shape = Map [ "digits", d; "terms", t ]
                Seed = seed
            }
        }

    override _.Build inst =
        let digits, terms = shape inst "digits", shape inst "terms"

        if digits < 1 || digits > 9 || terms < 2 || longest digits terms > s.Context then
            fail $"instance digits={digits} terms={terms} does not fit context {s.Context}" "choose fewer digits or terms"

        let rng = FastRng(inst.Seed)
        let tokens = Array.zeroCreate s.Context
        let mask = Array.zeroCreate s.Context
        let buf = Array.zeroCreate 24

        /// Writes n's decimal digits at p (reversed if asked); returns the next position.
        let write (n: int64) (p: int) (reverse: bool) (masked: bool) =
            let mutable k = 0
            let mutable v = n

            if v = 0L then
                (buf.[0] <- 0
                 k <- 1)

            while v > 0L do
                buf.[k] <- int (v % 10L)
                v <- v / 10L
                k <- k + 1

            for j in 0 .. k - 1 do
                tokens.[p + j] <- digit (if reverse then buf.[j] else buf.[k - 1 - j])
                mask.[p + j] <- masked

            p + k

        let mutable p = 0
        let mutable problems = 0
        let mutable firstAnswer = -1
        // Pack problems while the longest possible one still fits (keeps every problem whole).
        while p + longest digits terms <= s.Context do
            // The first operand has exactly `digits` digits, so the shape sets the problem size.
            let mutable sum = 0L

            for k in 0 .. terms - 1 do
                let nd = if k = 0 then digits else rng.Between(1, digits)
                let lo = if nd = 1 then 0L else pown 10L (nd - 1)
                let x = lo + int64 (rng.Between(0, int (pown 10L nd - lo) - 1))
                sum <- sum + x

                if k > 0 then
                    (tokens.[p] <- plus
                     p <- p + 1)

                p <- write x p false false

            tokens.[p] <- equals
            p <- p + 1

            if firstAnswer < 0 then
                firstAnswer <- p

            p <- write sum p s.Reverse true
            tokens.[p] <- eos
            mask.[p] <- true
            p <- p + 1
            problems <- problems + 1

        {
            Tokens = tokens
            LossMask = mask
            Meta = inst.Shape |> withMeta [ "problems", problems; "answer", firstAnswer; "end", p ]
        }

    override _.Shrink inst =
        let d, t = shape inst "digits", shape inst "terms"

        let mk d t = {
            inst with
                Shape = Map [ "digits", d; "terms", t ]
        }

        seq {
            if t > s.Terms.Lo then
                yield mk d s.Terms.Lo

            for d' in [ s.Digits.Lo; d - 1 ] do
                if d' < d && Array.contains d' digitCounts then
                    yield mk d' t
        }
        |> Seq.distinct

    interface IShapeSupport with
        member _.Draws shape =
            match tryShape [ "digits"; "terms" ] shape with
            | Some [ d; t ] -> Array.contains d digitCounts && s.Terms.Contains t
            | _ -> false
