namespace Toolkit.Tasks

open FsCheck.FSharp
open Toolkit.Tasks.TaskSupport

/// Settings of the relational family.
type RelationalSettings = {
    Context: int
    /// Number of relations (functions f_r: entity → entity), each a reserved token r0, r1, ...
    Relations: int
    /// Number of entities (the content tokens).
    Entities: int
    /// Tokens before the query marker: the relation, its argument and filler entities.
    Length: IntRange
    /// Lengths of the range never drawn (the held-out-lengths probe draws only these).
    Holdout: int list
    /// Seeds the fixed lookup table.
    Table: uint64
}

/// The fixed random lookup table of a relational task: f_r(x) for every relation r and entity x (entity indices
/// 0..entities−1), drawn once from the table seed. For each x the values f_0(x), f_1(x), ... are distinct and differ
/// from x, so no relation is the identity at any argument and two relations never agree on one.
module RelationalTable =
    /// table.[r].[x] = f_r(x), as entity indices.
    let create (relations: int) (entities: int) (seed: uint64) : int[][] =
        let rng = FastRng(seed)
        let table = Array.init relations (fun _ -> Array.zeroCreate entities)

        for x in 0 .. entities - 1 do
            // Distinct values among the entities other than x: draw from 0..entities−2 and skip x.
            let values = rng.Distinct(0, entities - 2, relations)

            for r in 0 .. relations - 1 do
                table.[r].[x] <- if values.[r] >= x then values.[r] + 1 else values.[r]

        table

/// `relational`: get_capital(x) in context (Merullo et al. 2024, "Language Models Implement Simple Word2Vec-style
/// Vector Arithmetic"). A fixed random table of functions f_r maps entities to entities; a sequence holds `length`
/// tokens, filler entities with one relation token r and its argument x right after it at a random place, then the
/// query marker "?" and the answer f_r(x), the one predictable position. The argument must be found in context (its
/// place varies), the function can only be memorized in the weights (the table is fixed by its seed). Filler never
/// uses x or f_r(x): the answer is never in the context to be copied. Metadata: `relation` r (its index), `argument` x and
/// `result` f_r(x) (token ids), and the positions of the relation token (`pair`, the argument is at pair + 1) and of the
/// query marker (`query`, the answer is at query + 1). Shape: `length` and `position` (of the relation token).
type Relational(s: RelationalSettings) =
    inherit FamilyTask<RelationalSettings>("relational", s, s.Context)

    static let specs: ParamSpec list = [
        TaskFamily.contextSpec 16
        {
            Name = "relations"
            Default = "4"
            Help = "relations (functions entity -> entity), 1..16"
        }
        {
            Name = "entities"
            Default = "32"
            Help = "entities (content tokens), more than relations + 2"
        }
        {
            Name = "length"
            Default = "4..12"
            Help = "tokens before the query marker (relation, argument and filler)"
        }
        holdoutSpec "lengths"
        {
            Name = "table"
            Default = "0"
            Help = "seed of the fixed lookup table"
        }
    ]

    static let reservedOf relations =
        [ "PAD"; "?" ] @ [ for r in 0 .. relations - 1 -> $"r{r}" ]

    let reserved = reservedOf s.Relations

    let vocab = {
        Size = reserved.Length + s.Entities
        Reserved = reserved
    }

    let query = 1
    let firstRelation = 2
    let firstEntity = vocab.ContentStart

    do
        if s.Relations < 1 || s.Relations > 16 then
            fail $"relations {s.Relations} is outside 1..16" "use relations from 1 to 16"

        // Filler needs entities other than the argument and the answer.
        if s.Entities < s.Relations + 3 then
            fail $"entities {s.Entities} leaves too few for {s.Relations} relations and filler" $"use at least {s.Relations + 3} entities"

        if s.Length.Lo < 2 then
            fail $"length {s.Length} leaves no room for the relation and its argument" "use lengths of at least 2"

        checkHoldout "length" s.Length s.Holdout

        if s.Length.Hi + 2 > s.Context then
            fail
                $"a length of {s.Length.Hi}, the query marker and the answer need {s.Length.Hi + 2} tokens, more than context {s.Context}"
                $"use a --n-ctx of at least {s.Length.Hi + 2}, or shorter lengths"

    let table = RelationalTable.create s.Relations s.Entities s.Table
    let lengths = allowedValues s.Length s.Holdout

    /// Whether training draws this shape: an allowed length, the relation at 0..length−2.
    let draws n pos =
        Array.contains n lengths && pos >= 0 && pos <= n - 2

    let probes = FamilyProbes(fun settings -> Relational(settings) :> ITask)

    /// The factory registered in the catalog: creates this family from text parameters.
    static member Factory =
        TaskFamily.factory
            "relational"
            "a relation token and its argument among filler, then '?': the answer f_r(x) from a fixed random table"
            specs
            (fun p ->
                let length = p.Range "length"

                let table =
                    let text = p.Text "table"

                    match
                        System.UInt64.TryParse(
                            text,
                            System.Globalization.NumberStyles.None,
                            System.Globalization.CultureInfo.InvariantCulture
                        )
                    with
                    | true, v -> v
                    | _ -> fail $"table '{text}' is not a seed (a whole number ≥ 0)" "give the table seed as a number, e.g. table=0"

                Relational(
                    {
                        Context = p.Int "context"
                        Relations = p.Int "relations"
                        Entities = p.Int "entities"
                        Length = length
                        Holdout = p.Holdout "length"
                        Table = table
                    }
                ))

    /// f_r(x) as a token id, for relation index r and entity token x.
    member _.Answer(relation: int, argument: int) =
        firstEntity + table.[relation].[argument - firstEntity]

    /// The token id of relation r.
    member _.RelationToken(relation: int) = firstRelation + relation

    /// The token id of the query marker "?".
    member _.QueryToken = query

    interface ITokenNames with
        member _.TokenName t =
            if t >= 0 && t < reserved.Length then reserved.[t]
            elif t < vocab.Size then $"e{t - firstEntity}"
            else string t

    override _.Vocabulary = vocab

    override _.Parameters =
        paramsDict [
            "context", string s.Context
            "relations", string s.Relations
            "entities", string s.Entities
            "length", string s.Length
            "holdout", holdoutText s.Holdout
            "table", string s.Table
        ]

    override _.Probes =
        [
            probes.HeldOut(
                "held-out-lengths",
                $"lengths {holdoutText s.Holdout} inside {s.Length}, held out of training (the query at a position training never queried)",
                s.Length,
                s.Holdout,
                fun h -> { s with Holdout = h }
            )
            probes.LongerInputs(s.Length, s.Context - 2, fun r -> { s with Length = r; Holdout = [] })
        ]
        |> List.choose id

    override _.Instances =
        gen {
            let! n = Gen.elements lengths
            let! pos = Gen.choose (0, n - 2)
            let! seed = Sampling.seed

            return {
                Shape = Map [ "length", n; "position", pos ]
                Seed = seed
            }
        }

    override _.Build inst =
        let n, pos = shape inst "length", shape inst "position"

        if n < 2 || pos < 0 || pos > n - 2 || n + 2 > s.Context then
            fail $"instance length={n} position={pos} does not fit context {s.Context}" "choose a shorter length"

        let rng = FastRng(inst.Seed)
        let r = rng.Between(0, s.Relations - 1)
        let x = firstEntity + rng.Between(0, s.Entities - 1)
        let answer = firstEntity + table.[r].[x - firstEntity]

        let filler =
            without
                {
                    Lo = firstEntity
                    Hi = vocab.Size - 1
                }
                [| x; answer |]

        let tokens = Array.zeroCreate s.Context
        fillFrom rng tokens 0 n filler
        tokens.[pos] <- firstRelation + r
        tokens.[pos + 1] <- x
        tokens.[n] <- query
        tokens.[n + 1] <- answer
        let mask = Array.zeroCreate s.Context
        mask.[n + 1] <- true

        {
            Tokens = tokens
            LossMask = mask
            Meta =
                inst.Shape
                |> withMeta [ "relation", r; "argument", x; "result", answer; "pair", pos; "query", n ]
        }

    override _.Shrink inst =
        TaskFamily.shrinkTwoValues ("length", s.Length.Lo) ("position", 0) draws inst

    interface IShapeSupport with
        member _.Draws shape =
            TaskFamily.drawsTwoValues "length" "position" draws shape
