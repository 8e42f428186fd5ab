"""What the generated catalog cannot say, kept by hand, each fact with the manual page it is from.

mongo-php-library's YAML (``_generated.py``) names every operator's arguments, but not where a
stage may stand, what it runs against, the version most operators came in, nor, where its
types read ``object`` or ``string``, whether that object is a sort, a set of variables or a
collection name. It also predates the 8.x stages. Manual pages are cited by their path under
https://www.mongodb.com/docs/manual/reference/operator/ (``aggregation/lookup/`` is
``.../operator/aggregation/lookup/``); "Stages" is ``aggregation-pipeline/``.
"""

from __future__ import annotations

from pipereg.language._model import Argument, Form, Kind, Operator, Placement, Position, Scope

P = Position
_ANY_FIELD = "*"


def _arg(
    name: str, position: Position, *, variadic: bool = False, fields: tuple[Argument, ...] = ()
) -> Argument:
    return Argument(name, position, required=True, variadic=variadic, fields=fields)


def _opt(name: str, position: Position, *, fields: tuple[Argument, ...] = ()) -> Argument:
    return Argument(name, position, required=False, fields=fields)


def _each(position: Position, *, fields: tuple[Argument, ...] = ()) -> Argument:
    """Any number of keys, each holding ``position``: {"<name>": ..., ...}."""
    return Argument(_ANY_FIELD, position, required=False, variadic=True, fields=fields)


_FIRST = Placement(first=True, in_facet=False)
_FIRST_TOP = Placement(first=True, top_level=True, in_facet=False, in_lookup=False)
_ADMIN = Placement(
    first=True, top_level=True, in_facet=False, in_lookup=False, scope=Scope.DATABASE
)
_WRITE = Placement(last=True, top_level=True, in_facet=False, in_lookup=False)

# Where each stage may stand. A stage not listed takes the default: anywhere, any number of
# times, against a collection. "Stages" lists the first-only and write stages; $facet's page
# the stages its sub-pipelines refuse; $lookup's and $unionWith's pages theirs ($out, $merge).
PLACEMENT: dict[str, Placement] = {
    # aggregation/changeStream/: first stage; on a collection, a database or the cluster.
    "$changeStream": Placement(
        first=True, top_level=True, in_facet=False, in_lookup=False, scope=Scope.EITHER
    ),
    # aggregation/changeStreamSplitLargeEvent/: must be the last stage of a change stream.
    "$changeStreamSplitLargeEvent": Placement(
        last=True, top_level=True, in_facet=False, in_lookup=False, scope=Scope.EITHER
    ),
    "$collStats": _FIRST,  # aggregation/collStats/: first stage; not in $facet
    "$currentOp": _ADMIN,  # aggregation/currentOp/: first stage, on the admin database
    # aggregation/documents/: first stage, on a database ({aggregate: 1}); also the first stage
    # of a $lookup or $unionWith pipeline, where no collection is read.
    "$documents": Placement(first=True, in_facet=False, scope=Scope.DATABASE),
    "$facet": Placement(in_facet=False),  # aggregation/facet/: no $facet inside $facet
    "$geoNear": _FIRST,  # aggregation/geoNear/: first stage; not in $facet
    "$indexStats": _FIRST,  # aggregation/indexStats/: first stage; not in $facet
    # aggregation/listClusterCatalog/: first stage, called against a database.
    "$listClusterCatalog": _ADMIN,
    "$listLocalSessions": _ADMIN,  # aggregation/listLocalSessions/: first, db.aggregate()
    # aggregation/listSampledQueries/: first stage, on the admin database.
    "$listSampledQueries": _ADMIN,
    "$listSearchIndexes": _FIRST,  # aggregation/listSearchIndexes/: first stage
    "$listSessions": _FIRST_TOP,  # aggregation/listSessions/: first, on config.system.sessions
    "$merge": _WRITE,  # aggregation/merge/: last stage; not in $facet, $lookup, $unionWith
    "$out": _WRITE,  # aggregation/out/: last stage; not in $facet, $lookup, $unionWith
    "$planCacheStats": _FIRST,  # aggregation/planCacheStats/: first stage; not in $facet
    "$querySettings": _ADMIN,  # aggregation/querySettings/: first stage, admin database
    "$queryStats": _ADMIN,  # aggregation/queryStats/: first stage, admin database
    # aggregation/rankFusion/, aggregation/scoreFusion/: first stage, on one collection
    # ("You cannot use this aggregation stage at a database scope").
    "$rankFusion": _FIRST,
    "$scoreFusion": _FIRST,
    # atlas-search/aggregation-stages/search/: first stage; allowed first in a $lookup or
    # $unionWith pipeline (6.0); not in $facet.
    "$search": _FIRST,
    "$searchMeta": _FIRST,
    # aggregation/shardedDataDistribution/: first stage, on the admin database.
    "$shardedDataDistribution": _ADMIN,
    # atlas-vector-search/vector-search-stage/: first stage; not in $facet; first in a
    # $unionWith pipeline from 8.0.
    "$vectorSearch": _FIRST,
}

# The version that introduced each operator the YAML does not date, from the "New in version"
# line of its manual page (aggregation/<name>/, query/<name>/). Kinds matter: $count the
# stage is 3.4, $count the accumulator 5.0. Operators in MongoDB 4.0 and before that no rule
# needs told apart stay undated except the stages, all dated.
INTRODUCED: dict[tuple[Kind, str], str] = {
    (Kind.STAGE, "$addFields"): "3.4",
    (Kind.STAGE, "$bucket"): "3.4",
    (Kind.STAGE, "$bucketAuto"): "3.4",
    (Kind.STAGE, "$changeStream"): "3.6",
    (Kind.STAGE, "$changeStreamSplitLargeEvent"): "7.0",  # and 6.0.9
    (Kind.STAGE, "$collStats"): "3.4",
    (Kind.STAGE, "$count"): "3.4",
    (Kind.STAGE, "$currentOp"): "3.6",
    (Kind.STAGE, "$densify"): "5.1",
    (Kind.STAGE, "$documents"): "5.1",
    (Kind.STAGE, "$facet"): "3.4",
    (Kind.STAGE, "$fill"): "5.3",
    (Kind.STAGE, "$geoNear"): "2.4",
    (Kind.STAGE, "$graphLookup"): "3.4",
    (Kind.STAGE, "$group"): "2.2",
    (Kind.STAGE, "$indexStats"): "3.2",
    (Kind.STAGE, "$limit"): "2.2",
    (Kind.STAGE, "$listClusterCatalog"): "8.0",  # 8.1, and 8.0.10
    (Kind.STAGE, "$listLocalSessions"): "3.6",
    (Kind.STAGE, "$listSampledQueries"): "7.0",
    (Kind.STAGE, "$listSearchIndexes"): "6.0.7",
    (Kind.STAGE, "$listSessions"): "3.6",
    (Kind.STAGE, "$lookup"): "3.2",
    (Kind.STAGE, "$match"): "2.2",
    (Kind.STAGE, "$merge"): "4.2",
    (Kind.STAGE, "$out"): "2.6",
    (Kind.STAGE, "$planCacheStats"): "4.2",
    (Kind.STAGE, "$project"): "2.2",
    (Kind.STAGE, "$querySettings"): "8.0",
    (Kind.STAGE, "$queryStats"): "7.1",
    (Kind.STAGE, "$rankFusion"): "8.0",  # 8.1, and later 8.0 releases (the page: "8.0 or higher")
    (Kind.STAGE, "$redact"): "2.6",
    (Kind.STAGE, "$replaceRoot"): "3.4",
    (Kind.STAGE, "$replaceWith"): "4.2",
    (Kind.STAGE, "$sample"): "3.2",
    (Kind.STAGE, "$score"): "8.2",
    (Kind.STAGE, "$scoreFusion"): "8.2",
    (Kind.STAGE, "$search"): "4.2",  # Atlas Search
    (Kind.STAGE, "$searchMeta"): "4.4",  # Atlas Search
    (Kind.STAGE, "$set"): "4.2",
    (Kind.STAGE, "$setWindowFields"): "5.0",
    (Kind.STAGE, "$shardedDataDistribution"): "6.0.3",
    (Kind.STAGE, "$skip"): "2.2",
    (Kind.STAGE, "$sort"): "2.2",
    (Kind.STAGE, "$sortByCount"): "3.4",
    (Kind.STAGE, "$unionWith"): "4.4",
    (Kind.STAGE, "$unset"): "4.2",
    (Kind.STAGE, "$unwind"): "2.2",
    (Kind.STAGE, "$vectorSearch"): "6.0.11",  # and 7.0.2
    (Kind.ACCUMULATOR, "$count"): "5.0",
    (Kind.ACCUMULATOR, "$top"): "5.2",
    (Kind.ACCUMULATOR, "$bottom"): "5.2",
    (Kind.ACCUMULATOR, "$firstN"): "5.2",
    (Kind.ACCUMULATOR, "$lastN"): "5.2",
    (Kind.ACCUMULATOR, "$maxN"): "5.2",
    (Kind.ACCUMULATOR, "$minN"): "5.2",
    (Kind.ACCUMULATOR, "$mergeObjects"): "3.6",
    (Kind.WINDOW, "$covariancePop"): "5.0",
    (Kind.WINDOW, "$covarianceSamp"): "5.0",
    (Kind.WINDOW, "$derivative"): "5.0",
    (Kind.WINDOW, "$integral"): "5.0",
    (Kind.WINDOW, "$expMovingAvg"): "5.0",
    (Kind.WINDOW, "$shift"): "5.0",
    (Kind.WINDOW, "$locf"): "5.2",
    (Kind.EXPRESSION, "$first"): "4.4",  # the array expression; the accumulator is older
    (Kind.EXPRESSION, "$last"): "4.4",
    (Kind.EXPRESSION, "$firstN"): "5.2",
    (Kind.EXPRESSION, "$lastN"): "5.2",
    (Kind.EXPRESSION, "$maxN"): "5.2",
    (Kind.EXPRESSION, "$minN"): "5.2",
    (Kind.EXPRESSION, "$sortArray"): "5.2",
    (Kind.EXPRESSION, "$getField"): "5.0",
    (Kind.EXPRESSION, "$setField"): "5.0",
    (Kind.EXPRESSION, "$unsetField"): "5.0",
    (Kind.EXPRESSION, "$tsIncrement"): "5.1",
    (Kind.EXPRESSION, "$tsSecond"): "5.1",
    (Kind.EXPRESSION, "$rand"): "4.4.2",
    (Kind.EXPRESSION, "$mergeObjects"): "3.6",
    (Kind.EXPRESSION, "$dateFromString"): "3.6",
    (Kind.EXPRESSION, "$dateFromParts"): "3.6",
    (Kind.EXPRESSION, "$dateToParts"): "3.6",
    (Kind.QUERY, "$rand"): "4.4.2",
    (Kind.QUERY, "$sampleRate"): "4.4.2",
    (Kind.QUERY, "$expr"): "3.6",
    (Kind.QUERY, "$jsonSchema"): "3.6",
}

_ACCUMULATORS = _each(P.ACCUMULATOR)

# Arguments whose position the YAML's types leave vague ("object", "string", "array"), by
# (kind, operator, argument). The page of each is the operator's own.
POSITIONS: dict[tuple[Kind, str, str], Argument] = {
    (Kind.STAGE, "$bucket", "boundaries"): _arg("boundaries", P.ANY),
    (Kind.STAGE, "$bucket", "default"): _opt("default", P.ANY),
    (Kind.STAGE, "$bucket", "output"): _opt("output", P.OPTIONS, fields=(_ACCUMULATORS,)),
    (Kind.STAGE, "$bucketAuto", "output"): _opt("output", P.OPTIONS, fields=(_ACCUMULATORS,)),
    (Kind.STAGE, "$bucketAuto", "granularity"): _opt("granularity", P.STRING),
    (Kind.STAGE, "$count", "field"): _arg("field", P.FIELD_NAME),
    # aggregation/changeStream/: resumeAfter is a resume token, a document (the YAML says int).
    (Kind.STAGE, "$changeStream", "resumeAfter"): _opt("resumeAfter", P.ANY),
    (Kind.STAGE, "$densify", "field"): _arg("field", P.FIELD_NAME),
    (Kind.STAGE, "$densify", "range"): _arg(
        "range",
        P.OPTIONS,
        fields=(_arg("step", P.NUMBER), _opt("unit", P.STRING), _arg("bounds", P.ANY)),
    ),
    (Kind.STAGE, "$fill", "sortBy"): _opt("sortBy", P.SORT),
    (Kind.STAGE, "$fill", "output"): _arg(
        "output",
        P.OPTIONS,
        fields=(_each(P.OPTIONS, fields=(_opt("value", P.EXPRESSION), _opt("method", P.STRING))),),
    ),
    (Kind.STAGE, "$fill", "partitionBy"): _opt("partitionBy", P.EXPRESSION),
    (Kind.STAGE, "$geoNear", "near"): _arg("near", P.GEOMETRY),
    (Kind.STAGE, "$geoNear", "distanceField"): _arg("distanceField", P.FIELD_NAME),
    (Kind.STAGE, "$geoNear", "includeLocs"): _opt("includeLocs", P.FIELD_NAME),
    (Kind.STAGE, "$geoNear", "key"): _opt("key", P.FIELD_NAME),
    (Kind.STAGE, "$graphLookup", "from"): _arg("from", P.NAMESPACE),
    (Kind.STAGE, "$graphLookup", "connectFromField"): _arg("connectFromField", P.FIELD_NAME),
    (Kind.STAGE, "$graphLookup", "connectToField"): _arg("connectToField", P.FIELD_NAME),
    (Kind.STAGE, "$graphLookup", "as"): _arg("as", P.FIELD_NAME),
    (Kind.STAGE, "$graphLookup", "depthField"): _opt("depthField", P.FIELD_NAME),
    (Kind.STAGE, "$graphLookup", "startWith"): _arg("startWith", P.EXPRESSION),
    (Kind.STAGE, "$listSampledQueries", "namespace"): _opt("namespace", P.NAMESPACE),
    (Kind.STAGE, "$lookup", "from"): _opt("from", P.NAMESPACE),  # a name, or {db, coll}
    (Kind.STAGE, "$lookup", "localField"): _opt("localField", P.FIELD_NAME),
    (Kind.STAGE, "$lookup", "foreignField"): _opt("foreignField", P.FIELD_NAME),
    (Kind.STAGE, "$lookup", "let"): _opt("let", P.VARIABLES),
    (Kind.STAGE, "$lookup", "as"): _arg("as", P.FIELD_NAME),
    (Kind.STAGE, "$merge", "into"): _arg("into", P.NAMESPACE),
    (Kind.STAGE, "$merge", "on"): _opt("on", P.FIELD_NAME),
    (Kind.STAGE, "$merge", "let"): _opt("let", P.VARIABLES),
    (Kind.STAGE, "$merge", "whenNotMatched"): _opt("whenNotMatched", P.STRING),
    (Kind.STAGE, "$out", "coll"): _arg("coll", P.NAMESPACE),
    (Kind.STAGE, "$project", "specification"): _arg("specification", P.PROJECTION),
    (Kind.STAGE, "$replaceRoot", "newRoot"): _arg("newRoot", P.EXPRESSION),
    (Kind.STAGE, "$search", "search"): _arg("search", P.SEARCH),
    (Kind.STAGE, "$searchMeta", "meta"): _arg("meta", P.SEARCH),
    (Kind.STAGE, "$setWindowFields", "sortBy"): _opt("sortBy", P.SORT),
    (Kind.STAGE, "$setWindowFields", "output"): _arg(
        "output", P.OPTIONS, fields=(_each(P.WINDOW),)
    ),
    (Kind.STAGE, "$sort", "sort"): _arg("sort", P.SORT),
    (Kind.STAGE, "$unionWith", "coll"): _opt("coll", P.NAMESPACE),
    (Kind.STAGE, "$unset", "field"): _arg("field", P.FIELD_NAME, variadic=True),
    (Kind.STAGE, "$unwind", "path"): _arg("path", P.FIELD_PATH),
    (Kind.STAGE, "$unwind", "includeArrayIndex"): _opt("includeArrayIndex", P.FIELD_NAME),
    (Kind.ACCUMULATOR, "$top", "sortBy"): _arg("sortBy", P.SORT),
    (Kind.ACCUMULATOR, "$topN", "sortBy"): _arg("sortBy", P.SORT),
    (Kind.ACCUMULATOR, "$bottom", "sortBy"): _arg("sortBy", P.SORT),
    (Kind.ACCUMULATOR, "$bottomN", "sortBy"): _arg("sortBy", P.SORT),
    (Kind.ACCUMULATOR, "$accumulator", "lang"): _arg("lang", P.STRING),
    (Kind.EXPRESSION, "$function", "args"): _arg("args", P.EXPRESSION),
    (Kind.EXPRESSION, "$function", "lang"): _arg("lang", P.STRING),
    (Kind.EXPRESSION, "$let", "vars"): _arg("vars", P.VARIABLES),
    (Kind.EXPRESSION, "$literal", "value"): _arg("value", P.ANY),
    (Kind.EXPRESSION, "$sortArray", "sortBy"): _arg("sortBy", P.SORT),
    (Kind.EXPRESSION, "$switch", "branches"): _arg(
        "branches",
        P.OPTIONS,  # a list of {case: <expression>, then: <expression>}
        fields=(_arg("case", P.EXPRESSION), _arg("then", P.EXPRESSION)),
    ),
    (Kind.EXPRESSION, "$zip", "defaults"): _opt("defaults", P.EXPRESSION),
    (Kind.QUERY, "$in", "value"): _arg("value", P.ANY),
    (Kind.QUERY, "$nin", "value"): _arg("value", P.ANY),
    (Kind.QUERY, "$jsonSchema", "schema"): _arg("schema", P.OPTIONS),
}

# Other ways an operator is written than its YAML encoding says: (forms, the single value an
# object-form stage also takes, or None).
_DATE_PARTS = (
    "$dayOfMonth", "$dayOfWeek", "$dayOfYear", "$hour", "$isoDayOfWeek", "$isoWeek",
    "$isoWeekYear", "$millisecond", "$minute", "$month", "$second", "$week", "$year",
)  # fmt: skip
FORMS: dict[tuple[Kind, str], tuple[tuple[Form, ...], Argument | None]] = {
    # aggregation/cond/: {if, then, else} or [<if>, <then>, <else>].
    (Kind.EXPRESSION, "$cond"): ((Form.OBJECT, Form.LIST), None),
    # aggregation/unwind/: {$unwind: <field path>} or {$unwind: {path, ...}}.
    (Kind.STAGE, "$unwind"): ((Form.OBJECT,), _arg("path", P.FIELD_PATH)),
    # aggregation/unionWith/: {$unionWith: <collection>} or {$unionWith: {coll, pipeline}}.
    (Kind.STAGE, "$unionWith"): ((Form.OBJECT,), _arg("coll", P.NAMESPACE)),
    # aggregation/merge/: {$merge: <collection>} or {$merge: {into, ...}}.
    (Kind.STAGE, "$merge"): ((Form.OBJECT,), _arg("into", P.NAMESPACE)),
    # aggregation/project/, aggregation/sort/: the whole object is one specification.
    (Kind.STAGE, "$project"): ((Form.VALUE,), None),
    (Kind.STAGE, "$sort"): ((Form.VALUE,), None),
    # aggregation/unset/: {$unset: "<field>"} or {$unset: ["<field>", ...]}.
    (Kind.STAGE, "$unset"): ((Form.LIST, Form.VALUE), None),
    # aggregation/year/ (and each date part's page): {$year: <dateExpression>} or
    # {$year: {date, timezone}}.
    **{
        (Kind.EXPRESSION, name): ((Form.OBJECT,), _arg("date", P.EXPRESSION))
        for name in _DATE_PARTS
    },
}

# Fewest positional arguments, where the YAML states none: aggregation/ifNull/ ("$ifNull:
# [<input-expression-1>, ... <input-expression-n>, <replacement-expression-if-null>]").
MIN_ARGS: dict[tuple[Kind, str], int] = {(Kind.EXPRESSION, "$ifNull"): 2}

# Arguments the YAML marks required that the manual does not: aggregation/unionWith/ (coll may
# be left out when the pipeline starts with $documents, 6.0).
OPTIONAL: frozenset[tuple[Kind, str, str]] = frozenset({(Kind.STAGE, "$unionWith", "coll")})

_PIPELINES = _arg("pipelines", P.OPTIONS, fields=(_each(P.PIPELINE),))
_WEIGHTS = _opt("weights", P.OPTIONS, fields=(_each(P.NUMBER),))


def _stage(name: str, arguments: tuple[Argument, ...], description: str, url: str) -> Operator:
    return Operator(
        name,
        frozenset({Kind.STAGE}),
        (Form.OBJECT,),
        arguments,
        description=description,
        url=url,
        source="supplement",
    )


_MANUAL = "https://www.mongodb.com/docs/manual/reference/operator/aggregation/"

# Operators newer than the YAML's commit (October 2024), from their manual pages.
EXTRA: tuple[Operator, ...] = (
    _stage(
        "$listClusterCatalog",
        (_opt("shards", P.BOOL), _opt("balancingConfiguration", P.BOOL)),
        "Outputs information for collections in a cluster, including names and creation options.",
        _MANUAL + "listClusterCatalog/",
    ),
    _stage(
        "$querySettings",
        (_opt("showDebugQueryShape", P.BOOL),),
        "Returns query settings previously added with setQuerySettings.",
        _MANUAL + "querySettings/",
    ),
    _stage(
        "$queryStats",
        (
            _opt(
                "transformIdentifiers",
                P.OPTIONS,
                fields=(_arg("algorithm", P.STRING), _opt("hmacKey", P.ANY)),
            ),
        ),
        "Returns runtime statistics for recorded queries.",
        _MANUAL + "queryStats/",
    ),
    _stage(
        "$rankFusion",
        (
            _arg("input", P.OPTIONS, fields=(_PIPELINES,)),
            _opt("combination", P.OPTIONS, fields=(_WEIGHTS,)),
            _opt("scoreDetails", P.BOOL),
        ),
        "Combines the ranked results of several input pipelines by reciprocal rank fusion.",
        _MANUAL + "rankFusion/",
    ),
    _stage(
        "$score",
        (
            _arg("score", P.EXPRESSION),
            _opt("normalization", P.STRING),
            _opt("weight", P.EXPRESSION),
            _opt("scoreDetails", P.BOOL),
        ),
        "Computes a new score as metadata, optionally normalized.",
        _MANUAL + "score/",
    ),
    _stage(
        "$scoreFusion",
        (
            Argument(
                "input",
                P.OPTIONS,
                fields=(_PIPELINES, _arg("normalization", P.STRING)),
            ),
            _opt(
                "combination",
                P.OPTIONS,
                fields=(_WEIGHTS, _opt("method", P.STRING), _opt("expression", P.EXPRESSION)),
            ),
            _opt("scoreDetails", P.BOOL),
        ),
        "Combines the scored results of several input pipelines by their normalized scores.",
        _MANUAL + "scoreFusion/",
    ),
    _stage(
        "$vectorSearch",
        (
            _arg("index", P.STRING),
            _arg("path", P.FIELD_NAME),
            _arg("queryVector", P.ANY),
            _arg("limit", P.NUMBER),
            _opt("numCandidates", P.NUMBER),
            _opt("exact", P.BOOL),
            _opt("filter", P.FILTER),
        ),
        "Performs an approximate or exact nearest-neighbour search on a vector field.",
        "https://www.mongodb.com/docs/atlas/atlas-vector-search/vector-search-stage/",
    ),
    # query/regex/: $options stands beside $regex in a field's query object.
    Operator(
        "$options",
        frozenset({Kind.QUERY}),
        (Form.VALUE,),
        (_arg("options", P.STRING),),
        description="Regular expression options for the $regex beside it.",
        url="https://www.mongodb.com/docs/manual/reference/operator/query/regex/",
        source="supplement",
    ),
    # aggregation/sigmoid/ (8.2): the $score normalization as an expression.
    Operator(
        "$sigmoid",
        frozenset({Kind.EXPRESSION}),
        (Form.VALUE,),
        (_arg("expression", P.EXPRESSION),),
        introduced="8.2",
        description="Returns 1 / (1 + e^-x) for its argument x.",
        url=_MANUAL + "sigmoid/",
        source="supplement",
    ),
    # aggregation/minMaxScaler/ (8.2): a window operator scaling a value into [0, 1].
    Operator(
        "$minMaxScaler",
        frozenset({Kind.WINDOW}),
        (Form.OBJECT,),
        (_arg("input", P.EXPRESSION), _opt("min", P.NUMBER), _opt("max", P.NUMBER)),
        introduced="8.2",
        description="Scales a numeric expression into a range by the window's min and max.",
        url=_MANUAL + "minMaxScaler/",
        source="supplement",
    ),
    # aggregation/toUUID/ (8.0): converts a string to a UUID.
    Operator(
        "$toUUID",
        frozenset({Kind.EXPRESSION}),
        (Form.VALUE,),
        (_arg("expression", P.EXPRESSION),),
        introduced="8.0",
        description="Converts a string value to a UUID.",
        url=_MANUAL + "toUUID/",
        source="supplement",
    ),
)
