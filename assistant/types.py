"""The assistant's own result types; llama-index nodes are converted to them in one place only."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from llama_index.core.schema import NodeWithScore, TextNode

# Metadata keys every stored node carries (see store.nodes_for_document).
KIND_SENTENCE = "sentence"
KIND_PARAGRAPH = "paragraph"
KIND_RENDERING = "rendering"  # an English rendering of an original sentence
KIND_DOCUMENT = "document"  # one per document version, written last: marks the version complete


def with_rendering(node: TextNode) -> str:
    """A stored sentence with its English rendering, if it has one (the bundled article's sentences
    do): what the stages that read a sentence's words match against."""
    return f"{node.get_content()} {node.metadata.get('translation') or ''}"


def as_said(node: TextNode) -> str:
    """``with_rendering``, a table's row with its cells named by the header, as it is embedded and
    shown: what the row says it holds. A fines table's "| السرعة الزائدة | ٥٠٠ |" is an amount of money
    only under "الغرامة (درهم)", and "How much is the fine?" was refused beside it."""
    return f"{node.metadata.get('table row') or node.get_content()} {node.metadata.get('translation') or ''}"


def sentence_ref(hit: NodeWithScore) -> tuple[str, str]:
    """(document_id, sentence_id) of a ranked sentence, as a Citation names it."""
    return hit.node.metadata["document_id"], hit.node.metadata["sentence_id"]


@dataclass(frozen=True)
class Citation:
    n: int
    sentence_id: str
    paragraph_id: str
    document_id: str
    quote: str  # verbatim source sentence: paragraph[start - paragraph_start : end - paragraph_start]
    start: int
    end: int
    score: float
    paragraph: str = ""
    paragraph_start: int = 0
    translation: str | None = None  # English rendering of ``quote``, when the corpus has one

    @classmethod
    def from_node(cls, n: int, hit: NodeWithScore, paragraph: str, paragraph_start: int) -> Citation:
        meta = hit.node.metadata
        return cls(
            n=n,
            sentence_id=meta["sentence_id"],
            paragraph_id=meta["paragraph_id"],
            document_id=meta["document_id"],
            quote=hit.node.get_content(),
            start=int(meta["start"]),
            end=int(meta["end"]),
            score=round(float(hit.score or 0.0), 4),
            paragraph=paragraph,
            paragraph_start=paragraph_start,
            translation=meta.get("translation") or None,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    language: str  # "ar" or "en": always the question's language
    citations: tuple[Citation, ...]
    abstained: bool
    timings_ms: dict[str, float] = field(default_factory=dict, compare=False)
    note: str = ""  # e.g. that no English rendering exists for a cited document
    # How likely the best evidence answers the question (assistant/evidence.py), whether or not
    # the assistant answered; each citation's score is its share of it (how likely that sentence is
    # the one that answers).
    probability: float = 0.0
    related: tuple[Citation, ...] = ()  # with an abstention: the closest sentences, not an answer
    # The earlier turn of a conversation (1-based) this question leaned on; None when it stood alone.
    leaned_on: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.text,
            "language": self.language,
            "abstained": self.abstained,
            "citations": [c.to_dict() for c in self.citations],
            "timings_ms": self.timings_ms,
            "note": self.note,
            "probability": self.probability,
            "related": [c.to_dict() for c in self.related],
            "leaned_on": self.leaned_on,
        }


# The scores a Hit carries beside its final one (retrieval.RankedSentence has the same fields).
HIT_SIGNALS = ("own", "passage", "dense", "lexical", "passage_dense", "passage_lexical", "late", "use")


@dataclass(frozen=True)
class Hit:
    """One ranked sentence with the scores the stages after retrieval read (retrieval.RankedSentence
    as our own type): ``score = (1 - passage_share) * own + passage_share * passage``, except among
    the top candidates the rerank stage reorders, which take the scores of the ranks they move to
    (rerank.py; a conversation's fusion scores them again from ``own`` and ``passage``)."""

    document_id: str
    sentence_id: str
    paragraph_id: str
    score: float
    own: float = 0.0  # the sentence's own match
    passage: float = 0.0  # its passage's score
    dense: float = 0.0
    lexical: float = 0.0
    passage_dense: float = 0.0
    passage_lexical: float = 0.0
    late: float = 0.0  # MaxSim of the question's and the sentence's token states (0: not computed)
    use: float = 0.0  # USE similarity, for the top candidates matched across languages (0: not computed)
    share: float | None = None  # its share of the answer, when the rerank stage gave one (rerank.py)

    @property
    def ref(self) -> tuple[str, str]:
        return self.document_id, self.sentence_id

    @property
    def passage_ref(self) -> tuple[str, str]:
        return self.document_id, self.paragraph_id


@dataclass(frozen=True)
class Ranking:
    """What a question retrieved, best first: ``Assistant.rank`` makes one, ``Assistant.ask`` answers
    from one (a conversation re-scores a follow-up's ranking with its history in between)."""

    question: str
    hits: tuple[Hit, ...]
    passage_share: float  # how much of a sentence's score its passage gives (retrieval.FusionWeights)
    retrieve_ms: float = field(default=0.0, compare=False)  # what making it took (counted in Answer.timings_ms)
