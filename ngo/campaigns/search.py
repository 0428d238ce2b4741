"""Full-text search over the public text of listed appeals.

Every word is folded to lowercase Latin with the same rules as name search (Cyrillic
transliterated, Polish and other diacritics removed, spelling variants merged), both in the
stored document and in the query. So "Мінск", "Minsk" and "minsk" find each other, and a query
never reaches the search engine as syntax: it becomes a list of quoted prefix terms.

Folding alone leaves the vowels that transliterations disagree on: Аляксандр (aliaksandr),
Александр (aleksandr) and Alexander (aleksander) stay apart. So the document also holds the
name search's skeleton (`cases.names.skeleton`: consonants after the first letter) of each
capitalised word, the names of people and places, and each query word also matches a skeleton
equal to its own. Skeletons are that project-wide rule rather than a library's transliteration
(`unidecode` gives Aliaksandr for Аляксандр, still not Alexander), and only of capitalised words
and only as whole words, because a skeleton is loose: "bird" and "bread" share one. Skeleton
words start with "q", a letter no folded word has (folding spells q as k): a query's prefix
terms never reach them, only its skeletons do.

Each stored document keeps the SHA-256 of what it was folded from (`source_digest`): the texts,
`FOLDING_VERSION` and the Unicode version of the running Python (accents are stripped through
its decompositions). Writing the same texts again folds nothing, and `flask reconcile-listings`
folds again only the documents whose digest is not the current one. So a change to what a word
folds to (here or in `cases.names`) bumps `FOLDING_VERSION`: the next reconcile rewrites every
document (`tests/public/test_search_scripts.py` holds the folding of a sample to a recorded
value, and fails until the version is bumped).

SQLite uses an FTS5 table over `appeal_search_documents`; PostgreSQL a GIN index over
`to_tsvector('simple', document)`. Both are created by `install_search_index`, on `create_all`
and in the migration, and are left out of the metadata comparison (`init_app`).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import lru_cache

from flask import Flask
from sqlalchemy import ColumnElement, Integer, Subquery, select, text
from sqlalchemy.engine import Connection

from ngo.campaigns.models import (
    Appeal,
    AppealSearchDocument,
    AppealTranslation,
    BudgetLine,
    BudgetLineLabel,
)
from ngo.cases.names import fold_to_latin, skeleton
from ngo.extensions import db, leave_out_of_migrations, listen

FTS_TABLE = "appeal_fts"
PG_INDEX = "ix_appeal_search_documents_tsv"
MAX_QUERY_LENGTH = 200
MAX_TERMS = 8

_WORD = re.compile(r"[^\W_]+", re.UNICODE)


class SearchQueryError(ValueError):
    """The search text cannot be used; the message says why, for the reader."""


# Starts every skeleton word of a document; see the module's docstring.
SKELETON_MARK = "q"

# Bump whenever a text folds to another document than before (this module, cases.names): the
# next `flask reconcile-listings` then rewrites every stored document.
FOLDING_VERSION = 2  # 2: letters without a decomposition (ß, æ, ø...) spelled out

# Latin letters that Unicode does not decompose, so stripping accents would drop them
# ("Straße" became "strae", "Ærø" "r"): spelled as German, Danish and Norwegian, French and
# Icelandic readers type them without the letter. Ł is folded by cases.names already. No
# well-kept library folds only these (Unidecode also transliterates the Cyrillic that
# cases.names folds its own way), and names.fold_to_latin feeds blind indexes that a change
# there would orphan: the search folds them on its side.
_UNDECOMPOSED = str.maketrans(
    {"ß": "ss", "ẞ": "ss", "æ": "ae", "Æ": "ae", "ø": "o", "Ø": "o", "œ": "oe", "Œ": "oe",
     "đ": "d", "Đ": "d", "þ": "th", "Þ": "th", "ð": "d", "Ð": "d", "ħ": "h", "Ħ": "h",
     "\u0131": "i"}  # dotless i
)  # fmt: skip


# Texts repeat their words: a story of 500 words has about 250 different ones, and a site's
# appeals share most of theirs. Folding a word costs 20 string passes; a cache lookup one.
@lru_cache(maxsize=65_536)
def _fold(word: str) -> str:
    # NFKD turns a few letters (fullwidth q, U+FF51) into q after folding spelled q as k.
    if word.isdigit():
        return word
    return fold_to_latin(word.translate(_UNDECOMPOSED)).replace(SKELETON_MARK, "k")


# Shorter skeletons ("m" of My and Mia, "an" of Anna and Ino) say too little to match on.
MIN_SKELETON = 3


@lru_cache(maxsize=65_536)
def _skeleton_word(word: str) -> str:
    """The word's skeleton as the document stores it, or "" for a number or a skeleton too
    short to tell names apart."""
    if word.isdigit():
        return ""
    bare = skeleton(word.translate(_UNDECOMPOSED)).replace(SKELETON_MARK, "k")
    return SKELETON_MARK + bare if len(bare) >= MIN_SKELETON else ""


def fold_words(text_: str) -> list[str]:
    return [w for w in (_fold(word) for word in _WORD.findall(text_ or "")) if w]


def _document_words(text_: str) -> Iterable[str]:
    for word in _WORD.findall(text_ or ""):
        folded = _fold(word)
        if folded:
            yield folded
        if word[0].isupper() and (bare := _skeleton_word(word)):
            yield bare


def document_for(texts: Iterable[str]) -> str:
    return " ".join(word for t in texts for word in _document_words(t))


def source_digest(texts: Sequence[str]) -> str:
    """What a document is folded from, as the stored `source_digest`: the same for the same
    texts folded by the same rules, on any database."""
    source = [FOLDING_VERSION, unicodedata.unidata_version, list(texts)]
    return hashlib.sha256(json.dumps(source, ensure_ascii=False).encode()).hexdigest()


def query_terms(query: str) -> list[str]:
    """The words of a reader's query, each as "folded" or "folded skeleton" (a number has no
    skeleton). Raises SearchQueryError when there is nothing to search for or the query is
    too long; punctuation and operators are simply not words."""
    if len(query) > MAX_QUERY_LENGTH:
        raise SearchQueryError(f"Search text is limited to {MAX_QUERY_LENGTH} characters.")
    terms: dict[str, None] = {}
    for word in _WORD.findall(query):
        folded = _fold(word)
        if folded:
            terms[" ".join(filter(None, (folded, _skeleton_word(word))))] = None
    if not terms:
        raise SearchQueryError("Type at least one word or number to search for.")
    return list(terms)[:MAX_TERMS]


def query_parameter(terms: list[str]) -> str:
    """The value of `:search_query` in `matching_ids` for these terms: every term must
    match, as a word prefix of its folded form or as its whole skeleton."""
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    clauses = []
    for term in terms:
        folded, *bare = term.split(" ")
        # Terms are letters and digits only, so quoting them makes each a plain FTS5 string.
        either = [f"{folded}:*" if postgresql else f'"{folded}"*']
        either += [word if postgresql else f'"{word}"' for word in bare]
        joined = (" | " if postgresql else " OR ").join(either)
        clauses.append(f"({joined})" if bare else joined)
    # FTS5 reads juxtaposed phrases as AND, but a parenthesised group needs the operator.
    return (" & " if postgresql else " AND ").join(clauses)


def matching_ids(terms: list[str] | None = None) -> Subquery:
    """The ids (column `id`) of the appeals whose document holds every term as a word prefix.
    Without terms, `:search_query` is left for the execution to give (`query_parameter`), for
    a statement built once."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        clause = text(
            "to_tsvector('simple', appeal_search_documents.document) "
            "@@ to_tsquery('simple', :search_query)"
        )
        if terms is not None:
            clause = clause.bindparams(search_query=query_parameter(terms))
        return select(AppealSearchDocument.appeal_id.label("id")).where(clause).subquery("matches")
    statement = text("SELECT rowid AS id FROM appeal_fts WHERE appeal_fts MATCH :search_query")
    if terms is not None:
        statement = statement.bindparams(search_query=query_parameter(terms))
    return statement.columns(id=Integer).subquery("matches")


def matching(terms: list[str] | None = None) -> ColumnElement[bool]:
    """A WHERE clause: the appeal's document holds every term as a word prefix (terms as in
    `matching_ids`)."""
    return Appeal.id.in_(select(matching_ids(terms).c.id))


# What a document is folded from: the appeal's public texts, in one order -----------------

# (language, title, summary, story, display name) and ((priority, line id, label id), label,
# description): the rows of either path below.
_TranslationRow = tuple[str, str, str, str, str]
_LabelRow = tuple[tuple[int, int, int], str, str]


def _ordered_texts(
    translations: Iterable[_TranslationRow], labels: Iterable[_LabelRow]
) -> list[str]:
    texts: list[str] = []
    for _language, *fields in sorted(translations, key=lambda row: row[0]):
        texts += fields
    for _order, label, description in sorted(labels, key=lambda row: row[0]):
        texts.append(f"{label} {description}")
    return texts


def searchable_texts(appeal: Appeal) -> list[str]:
    """The appeal's public texts from its loaded collections (flushed: the ids order them),
    in the order `texts_of` reads them whatever order they were appended in."""
    return _ordered_texts(
        (
            (t.language, t.title, t.summary, t.story_markdown, t.display_name)
            for t in appeal.translations
        ),
        (
            ((line.priority, line.id or 0, label.id or 0), label.label, label.description)
            for line in appeal.budget_lines
            for label in line.labels
        ),
    )


def texts_of(appeal_ids: Sequence[int]) -> dict[int, list[str]]:
    """`searchable_texts` of each appeal, read in two queries without loading an ORM object:
    the reconcile's path over every listed appeal."""
    translations: dict[int, list[_TranslationRow]] = defaultdict(list)
    labels: dict[int, list[_LabelRow]] = defaultdict(list)
    for appeal_id, *translation in db.session.execute(
        select(
            AppealTranslation.appeal_id,
            AppealTranslation.language,
            AppealTranslation.title,
            AppealTranslation.summary,
            AppealTranslation.story_markdown,
            AppealTranslation.display_name,
        ).where(AppealTranslation.appeal_id.in_(appeal_ids))
    ):
        translations[appeal_id].append(tuple(translation))  # type: ignore[arg-type]
    for appeal_id, priority, line_id, label_id, label, description in db.session.execute(
        select(
            BudgetLine.appeal_id,
            BudgetLine.priority,
            BudgetLine.id,
            BudgetLineLabel.id,
            BudgetLineLabel.label,
            BudgetLineLabel.description,
        )
        .join(BudgetLineLabel, BudgetLineLabel.budget_line_id == BudgetLine.id)
        .where(BudgetLine.appeal_id.in_(appeal_ids))
    ):
        labels[appeal_id].append(((priority, line_id, label_id), label, description))
    return {id_: _ordered_texts(translations[id_], labels[id_]) for id_ in appeal_ids}


def stored_digests(appeal_ids: Sequence[int]) -> dict[int, str | None]:
    """The source digest of each stored document of these appeals (an appeal without one is
    missing)."""
    rows = db.session.execute(
        select(AppealSearchDocument.appeal_id, AppealSearchDocument.source_digest).where(
            AppealSearchDocument.appeal_id.in_(appeal_ids)
        )
    )
    return {appeal_id: digest for appeal_id, digest in rows}


def set_document(appeal_id: int, texts: Sequence[str] | None) -> bool:
    """Store the appeal's folded public text, or remove it (None) when it leaves the site.
    Texts the stored document was folded from (by the same rules) are not folded again.
    Returns whether the document was written or removed."""
    existing = db.session.get(AppealSearchDocument, appeal_id)
    if texts is None:
        if existing is not None:
            db.session.delete(existing)
        return existing is not None
    digest = source_digest(texts)
    if existing is not None and existing.source_digest == digest:
        return False
    document = document_for(texts)
    if existing is None:
        db.session.add(
            AppealSearchDocument(appeal_id=appeal_id, document=document, source_digest=digest)
        )
        return True
    if existing.document != document:
        existing.document = document
    existing.source_digest = digest
    return True


SQLITE_DDL = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS appeal_fts USING fts5(document, "
    "content='appeal_search_documents', content_rowid='appeal_id', tokenize='unicode61')",
    "CREATE TRIGGER IF NOT EXISTS appeal_fts_ai AFTER INSERT ON appeal_search_documents BEGIN "
    "INSERT INTO appeal_fts(rowid, document) VALUES (new.appeal_id, new.document); END",
    "CREATE TRIGGER IF NOT EXISTS appeal_fts_ad AFTER DELETE ON appeal_search_documents BEGIN "
    "INSERT INTO appeal_fts(appeal_fts, rowid, document) "
    "VALUES ('delete', old.appeal_id, old.document); END",
    "CREATE TRIGGER IF NOT EXISTS appeal_fts_au AFTER UPDATE ON appeal_search_documents BEGIN "
    "INSERT INTO appeal_fts(appeal_fts, rowid, document) "
    "VALUES ('delete', old.appeal_id, old.document); "
    "INSERT INTO appeal_fts(rowid, document) VALUES (new.appeal_id, new.document); END",
]
POSTGRESQL_DDL = [
    "CREATE INDEX IF NOT EXISTS ix_appeal_search_documents_tsv ON appeal_search_documents "
    "USING gin (to_tsvector('simple', document))"
]


def install_search_index(connection: Connection) -> None:
    statements = POSTGRESQL_DDL if connection.dialect.name == "postgresql" else SQLITE_DDL
    for statement in statements:
        connection.exec_driver_sql(statement)


def is_search_index_object(name: str | None) -> bool:
    return name is not None and (name.startswith(FTS_TABLE) or name == PG_INDEX)


def init_app(app: Flask) -> None:
    """The index is made with its table by `create_all` (the migration makes it with the same
    DDL), and is left out of the migrations' comparison with the metadata."""
    listen(AppealSearchDocument.__table__, "after_create", _after_create)
    leave_out_of_migrations(app, is_search_index_object)


def _after_create(_table: object, connection: Connection, **_kw: object) -> None:
    install_search_index(connection)
