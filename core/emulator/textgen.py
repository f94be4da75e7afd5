"""Emulated answers: deterministic, readable, responsive to the prompt, and honest about being emulated.

Tokens are the emulator's own unit: a run of up to eight letters, up to three digits, or any other
single character, each with the white space before it. `tokenize` partitions a text exactly, so the
text a stream emits is the concatenation of its tokens and every token count the emulator reports
is the length of what it emitted.

An answer is written in three passes. `read_prompt` finds what is asked (an explanation, steps, a
list, a table, code, a comparison ...) and about what, as phrases cut from the prompt itself. The
writer then fills sentence templates with those phrases, in the markdown a model would use for that
kind of request, drawing the templates in an order fixed by the seed. A `_Writer` counts tokens as
the text grows and stops at the request's limit, so an answer cut by `max_tokens` is a prefix of the
one a larger limit would give. Templates only put phrases where any noun phrase (or, for `task`, any
verb phrase) reads correctly, and verbs that agree with the topic come from its slots (`{is}`, `{s}`).

    >>> g = generate(model_name="Claude 3 Haiku", user_text="Compare Redis and Memcached in a table",
    ...              system="", turn=1, max_tokens=400, stop_sequences=(), thinking_budget=None,
    ...              input_tokens=9, seed=7)
    >>> g.text.startswith("(Emulated answer from Claude 3 Haiku; ") and "| Redis | Memcached |" in g.text
    True
"""

from __future__ import annotations

import functools
import hashlib
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

_TOKEN = re.compile(r"\s*[A-Za-z]{1,8}|\s*\d{1,3}|\s*[^\sA-Za-z\d]|\s+")
_LENGTH_HINT = re.compile(r"\b(\d{1,6})\s*(words|tokens)\b", re.IGNORECASE)


def tokenize(text: str) -> list[str]:
    """Split `text` into emulator tokens; `"".join(tokenize(t)) == t` always holds."""
    return _TOKEN.findall(text)


def count_tokens(text: str) -> int:
    return len(_TOKEN.findall(text))


def stable_seed(*parts: object) -> int:
    """A seed that is the same in every process for the same parts (unlike `hash`)."""
    # surrogatepass: a request may carry a lone surrogate (a JSON "\\ud800" escape); it must not crash a seed.
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big")


@dataclass(frozen=True)
class Generation:
    """What the emulated model produced for one request, before it is put on the wire."""

    thinking_tokens: tuple[str, ...]
    answer_tokens: tuple[str, ...]
    stop: str  # "end" | "max_tokens" | "stop_sequence"
    stop_sequence: str | None
    input_tokens: int

    @property
    def text(self) -> str:
        return "".join(self.answer_tokens)

    @property
    def thinking(self) -> str:
        return "".join(self.thinking_tokens)

    @property
    def output_tokens(self) -> int:
        return len(self.thinking_tokens) + len(self.answer_tokens)


# -- words ----------------------------------------------------------------------------------------------

def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_DETERMINERS = _words("a an the my your our their this that these those its his her some any every each")
_STOP = _words(
    """a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have
    having he her here hers herself him himself his how i if in into is it its itself just me more most my
    myself no nor not now of off on once only or other our ours ourselves out over own same she should so
    some such than that the their theirs them themselves then there these they this those through to too
    under until up very was we were what when where which while who whom why will with would you your
    yours yourself yourselves please also really much many way ways thing things something anything
    everything might must shall can't don't i'm it's what's there's words tokens hello hi hey thanks thank
    lot lots kind sort bit etc vs versus via per like just even still yet already always never often
    sometimes usually maybe perhaps quite rather pretty best better good great nice new old simple easy
    hard quick quickly briefly short long brief concise detailed example examples may every seconds second
    minutes minute hours hour days day weeks week months month years year percent ms times""")
# Base forms of verbs that are rarely nouns in a prompt: a noun phrase ends where one starts.
_VERBS = _words(
    """accept access achieve act adapt add adjust protect route hide contain reach handle sign learn summarize
    summarise center centre affect allow
    analyse analyze answer appear apply approach
    argue arrange ask assess assign assume attach attempt avoid become begin believe belong benefit
    break bring build buy calculate call cancel capture care carry catch cause change charge check choose
    clean clear close collect combine come compare compile complete compute configure confirm connect
    consider consist contain continue control convert copy correct cost count cover create cut deal debug
    decide declare decouple decrease define delete deliver depend deploy describe design detect determine
    develop differ disable discover display distribute divide do download drive drop earn ease edit
    effect eliminate enable encode encourage encrypt end enforce ensure enter establish estimate evaluate
    exist expand expect explain export expose express extend extract fail fall feel fetch fill filter find
    finish fit fix flow follow force forget format gain generate get give go grow guarantee handle happen
    have hear help hide hit hold identify ignore implement import improve include increase indicate
    influence inform insert install integrate intend introduce invalidate invest involve isolate join keep
    kill know last launch lead learn leave let lie limit link list listen live load look lose maintain make
    manage map match matter mean measure meet merge migrate mind miss mix modify monitor move need notice
    obtain occur offer open operate optimise optimize order organise organize own parse pass pay perform
    pick place plan play point prefer prepare present prevent print proceed produce prove provide publish
    pull push put query raise reach read realise realize receive recommend record recover reduce refer
    reflect refresh relate release rely remain remember remove rename render repeat replace reply report
    represent require reset resolve respond rest restart restore retry return reuse reverse review rewrite
    rotate run save scale scan schedule search secure see seem select sell send separate serve set share
    shift show shrink sign simplify sit slow solve sort speak speed spend split stand start stay stop
    store stream structure study submit succeed suggest suit supply support suppose take talk target teach
    tell tend test think throttle throw track train transfer transform translate treat trigger trust try
    turn understand unlock update upgrade upload use validate vary verify view visit wait walk want warn
    wash watch wear win wish work worry wrap write yield""")
_PLURAL_WORDS = _words("these those many several both two three four five few various multiple all")
_SINGULAR_S = _words(
    """kubernetes redis analysis news physics mathematics economics series status bus gas lens chaos
    corpus thesis basis axis crisis diagnosis genesis hypothesis synopsis emphasis aws dns tls https gis
    ios macos windows jenkins pandas numpy express postgres prometheus grafana asyncio css sass less ms
    business process access address class success progress stress loss glass boss moss mess chess""")
_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
            "ten": 10, "a few": 3, "a couple of": 2, "some": 0, "several": 4}
_NUMBER_NAMES = _words("one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty "
                       "sixty seventy eighty ninety hundred thousand million half quarter twice first second third")
_NUMBER_WORDS = ("", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_GREETINGS = _words("hi hello hey howdy greetings yo hiya morning evening afternoon sup")
_ADJECTIVES = _words("""slow fast good bad important useful different better worse hard easy expensive cheap popular
    blue red green white black big small large safe secure necessary possible common rare free new old hot cold
    faster slower bigger smaller cheaper harder easier safer simpler""")
_PARTICLES = _words("up down out off in on over back away")
_PEOPLE = _words("i we you one someone people teams developers engineers beginners users")

# Characters a phrase from the prompt may not carry into markdown: tables, emphasis, code, links, math.
_MARKUP = re.compile(r"[|`*_$\[\]<>#~\\{}\x00-\x1f]+")


def _clean(phrase: str) -> str:
    """A phrase from the prompt, safe inside markdown: no markup characters, one space between words."""
    return " ".join(_MARKUP.sub(" ", phrase).split())


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:] if text[:1].islower() else text


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


_YOU = {"i": "you", "me": "you", "my": "your", "mine": "yours", "myself": "yourself", "we": "you", "us": "you",
        "our": "your", "ours": "yours", "ourselves": "yourselves", "am": "are", "i'm": "you're", "i've": "you've",
        "i'd": "you'd", "i'll": "you'll", "we're": "you're", "we've": "you've"}
_ME = {"you": "I", "your": "my", "yours": "mine", "yourself": "myself"}


def _swap(phrase: str, table: dict[str, str]) -> str:
    """Turn the speaker around: the prompt's "my app" is the answer's "your app"."""
    def one(match: re.Match[str]) -> str:
        word = match.group(0)
        if word == "US":  # the country, not "us"
            return word
        return table.get(word.lower(), word)
    return re.sub(r"[A-Za-z]+(?:'[a-z]+)?", one, phrase)


def _verb_base(word: str) -> str:
    """"reverses" -> "reverse", "fetches" -> "fetch", "carries" -> "carry", "has" -> "have"."""
    lower = word.lower()
    if lower in ("has", "is", "does", "goes"):
        return {"has": "have", "is": "be", "does": "do", "goes": "go"}[lower]
    if lower in _VERBS or not lower.endswith("s"):
        return lower
    if lower.endswith("ies") and lower[:-3] + "y" in _VERBS:
        return lower[:-3] + "y"
    if lower[:-1] in _VERBS:
        return lower[:-1]
    if lower[:-2] in _VERBS:
        return lower[:-2]
    if lower.endswith(("sses", "shes", "ches", "xes", "zes")):
        return lower[:-2]
    if lower.endswith("ies"):
        return lower[:-3] + "y"
    return lower[:-1]


def _third_person(verb: str) -> str:
    if verb in ("have", "be", "do", "go"):
        return {"have": "has", "be": "is", "do": "does", "go": "goes"}[verb]
    if verb.endswith(("s", "x", "z", "ch", "sh", "o")):
        return verb + "es"
    if len(verb) > 1 and verb.endswith("y") and verb[-2] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + "s"


_DOUBLE = _words("set get run put cut stop plan ship drop map log scan begin forget swap wrap chat shut split trim "
                 "commit submit admit refer prefer occur debug grab hit sit tap pin skip step tag zip dig let "
                 "shop spin stir chop")


def _gerund(verb: str) -> str:
    """"set" -> "setting", "choose" -> "choosing", "deploy" -> "deploying"."""
    if verb in _DOUBLE:
        return verb + verb[-1] + "ing"
    if verb.endswith("ie"):
        return verb[:-2] + "ying"
    if verb.endswith("e") and not verb.endswith(("ee", "ye", "oe")) and verb != "be":
        return verb[:-1] + "ing"
    return verb + "ing"


def _ungerund(word: str) -> str:
    """"parsing" -> "parse", "setting" -> "set"; unknown words come back as they are."""
    stem = word.lower()[:-3]
    for candidate in (stem, stem + "e", stem[:-1] if len(stem) > 2 and stem[-1] == stem[-2] else ""):
        if candidate in _VERBS:
            return candidate
    return word.lower()


def _is_verb(word: str) -> bool:
    lower = word.lower()
    return lower in _VERBS or (lower.endswith("s") and lower not in _SINGULAR_S and _verb_base(lower) in _VERBS)


def _is_plural(phrase: str) -> bool:
    words = phrase.split()
    if not words:
        return False
    if " and " in f" {phrase} " or words[0].lower() in _PLURAL_WORDS:
        return True
    if words[0].lower() in ("a", "an", "this", "that", "each", "every", "one"):
        return False
    for i, word in enumerate(words[1:], 1):  # "the causes of the French Revolution": the head is "causes"
        if word.lower() in ("of", "for", "in", "on", "with", "to", "from", "about", "between", "at", "by"):
            words = words[:i]
            break
    last = words[-1].strip(".,;:!?'\"()")
    lower = last.lower()
    if not lower or lower.endswith("ing") or lower in _SINGULAR_S or any(c.isdigit() for c in last):
        return False
    if last.isupper():  # an acronym: TLS, DNS, HTTPS
        return False
    if lower.endswith(("ss", "us", "is", "ics", "ous")):
        return False
    return lower.endswith("s")


_WORD = re.compile(r"[^\s!\"#$%&()*,:;<=>?@\[\\\]^`{|}~]+")


def _noun_phrases(text: str, limit: int = 12, strict: bool = False) -> list[str]:
    """Runs of content words, with a determiner kept in front: "your Lambda function", "event streams".

    `strict` also ends a phrase at a participle or a number word, for phrases taken from long material."""
    phrases: list[str] = []
    run: list[str] = []
    det = ""
    raws = text.split()
    after_number = False
    for index, raw in enumerate(raws):
        word = raw.strip(".,;:!?\"()[]{}'")
        lower = word.lower()
        following = raws[index + 1].lower().strip(".,;:!?") if index + 1 < len(raws) else ""
        breaks = (not word or not _WORD.fullmatch(word) or lower in _STOP or lower in _ADJECTIVES or _is_verb(word)
                  or lower.endswith("ly") or word.isdigit() or after_number
                  or (lower.endswith("s") and following in _PARTICLES)  # "times out"
                  or (strict and (lower.endswith("ed") or lower in _NUMBER_NAMES)))
        after_number = word.isdigit()
        if breaks:
            while run and run[-1].lower() in _DETERMINERS:
                run.pop()
            if run:
                phrases.append(" ".join(([det] if det else []) + run[:4]))
            run, det = [], ""
            if lower in _DETERMINERS:
                det = _YOU.get(lower, lower)
        else:
            run.append(word)
            if raw[-1:] in ".,;:!?)":
                phrases.append(" ".join(([det] if det else []) + run[:4]))
                run, det = [], ""
        if len(phrases) >= limit:
            break
    if run and len(phrases) < limit:
        phrases.append(" ".join(([det] if det else []) + run[:4]))
    return phrases


def _bare(phrase: str) -> str:
    words = phrase.split()
    return " ".join(words[1:]) if len(words) > 1 and words[0].lower() in _DETERMINERS else phrase


_TAIL = re.compile(
    r"(?:,|;|\s+-\s+|\?|!|:|\.(?:\s|$)|\s+(?:please|for me|in detail|in simple terms|in plain english|"
    r"briefly|step by step|like i'?m (?:five|5)|with (?:an |some |a few )?(?:code )?examples?|"
    r"in (?:about |around |under )?\d+ (?:words|tokens|sentences)|so that|because|since)\b).*$",
    re.IGNORECASE | re.DOTALL)
_DANGLING = _words("a an the of for to and or with in on at by from about my your our as into than that which "
                   "who")


def _trim(phrase: str, max_words: int = 10) -> str:
    """A phrase cut at its first clause boundary, without a dangling article or preposition."""
    phrase = _TAIL.sub("", phrase.strip().strip("\"'“”")).strip()
    words = phrase.split()[:max_words]
    while words and words[-1].lower() in _DANGLING:
        words.pop()
    return _clean(" ".join(words))


# -- reading the prompt ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Reading:
    """What a prompt asks for, as phrases cut from it (already turned to the answer's point of view)."""

    kind: str  # greeting thanks code table steps decide compare list explain review document essay yesno
    topic: str  # a noun phrase: "HTTP caching", "a vector database", "setting up a Python environment"
    plural: bool = False
    clause: str = ""  # an embedded question: "how HTTP caching works", "why databases use indexes"
    task: str = ""  # a verb phrase in the base form: "reverse a string", "choose between A and B"
    items: tuple[str, ...] = ()  # what is compared
    context: str = ""  # "for a chatbot"
    keywords: tuple[str, ...] = ()
    lang: str = ""  # a key of _LANGUAGES when code is asked for
    artifact: str = ""  # "function", "script", "query", ... or the list's head noun ("ways", "tips")
    purpose: str = ""  # "that reverses a string", "to parse a CSV file"
    count: int = 0  # how many items or steps were asked for
    outline: tuple[str, ...] = ()  # the parts a review asked for: "strengths", "risks", ...
    columns: tuple[str, ...] = ()  # a table's columns, when the prompt names them
    tech: bool = False
    llm: bool = False
    request: str = ""  # the prompt as given


@dataclass(frozen=True)
class Style:
    """How the system prompt (and the prompt's own words) shape the answer."""

    brief: bool = False
    detailed: bool = False
    plain: bool = False  # no markdown beyond paragraphs (and code fences when code is asked for)
    bullets: bool = False
    pirate: bool = False


_LANGUAGES: dict[str, tuple[str, str]] = {  # key: (display name, fence tag)
    "python": ("Python", "python"), "javascript": ("JavaScript", "javascript"),
    "typescript": ("TypeScript", "typescript"), "go": ("Go", "go"), "rust": ("Rust", "rust"),
    "java": ("Java", "java"), "csharp": ("C#", "csharp"), "sql": ("SQL", "sql"), "bash": ("Bash", "bash"),
    "ruby": ("Ruby", "ruby"),
}
_LANG_NAMES = [
    (re.compile(r"\bpython\d?\b|\bpandas\b|\bnumpy\b|\bdjango\b|\bflask\b|\bfastapi\b|\bpytest\b|\bboto3\b", re.I),
     "python"),
    (re.compile(r"\btype\s?script\b|\bts\b(?! file)|\bangular\b|\bdeno\b", re.I), "typescript"),
    (re.compile(r"\bjava\s?script\b|\bnode(?:\.?js)?\b|\bjs\b|\breact\b|\bvue\b|\bnpm\b|\bexpress\.?js\b", re.I),
     "javascript"),
    (re.compile(r"\bgolang\b|\bgo (?:function|program|code|script|module|routine)\b|\b(?:in|using) go\b|"
                r"\bgoroutines?\b", re.I), "go"),
    (re.compile(r"\brust\b|\bcargo\b|\btokio\b", re.I), "rust"),
    (re.compile(r"\bjava\b(?!\s?script)|\bspring boot\b|\bkotlin\b", re.I), "java"),
    (re.compile(r"c#|\bcsharp\b|\b\.net\b|\bdotnet\b", re.I), "csharp"),
    (re.compile(r"\bsql\b|\bpostgres(?:ql)?\b|\bmysql\b|\bsqlite\b|\bquery (?:that|to) (?:select|find|count|list)",
                re.I), "sql"),
    (re.compile(r"\bbash\b|\bshell\b|\bzsh\b|\bcommand[- ]line\b|\bterminal\b", re.I), "bash"),
    (re.compile(r"\bruby\b|\brails\b", re.I), "ruby"),
]
_TECH = re.compile(
    r"\b(?:api|apis|code|software|server|servers|database|databases|sql|http|https|cache|caching|cloud|aws|"
    r"bedrock|deploy\w*|latency|throughput|python|javascript|java|rust|golang|kubernetes|docker|container\w*|"
    r"function|script|program\w*|data|service|services|microservices?|queue|queues|stream\w*|network\w*|"
    r"cpu|gpu|memory|model|models|llm|llms|token|tokens|compute|backend|frontend|app|apps|application|"
    r"system|systems|index\w*|tls|dns|load balancer|cdn|git|linux|algorithm\w*|json|csv|endpoint\w*|"
    r"thread\w*|process\w*|concurren\w*|async\w*|security|encrypt\w*|scal\w+|cluster\w*|devops|ci|cd|"
    r"framework\w*|library|libraries|bug|bugs|debug\w*|test\w*|chatbot\w*|prompt\w*|websocket\w*|"
    r"rate limit\w*|retr(?:y|ies)|throttl\w*|consisten\w*|replica\w*|partition\w*|schema\w*|query|queries|"
    r"redis|memcached|postgres\w*|mysql|mongo\w*|kafka|rabbitmq|nginx|react|vue|angular|node|typescript|rust|go|"
    r"hash\w*|arrays?|binary|trees?|graphs?|recursion|pointers?|regex|sort\w*|compil\w*|"
    r"lambda|dynamodb|s3|ec2|terraform|ansible|helm|grpc|rest|graphql|oauth|jwt|webhook\w*|sdk|cli|ide|compiler)\b",
    re.IGNORECASE)
_LLM = re.compile(r"\b(?:llms?|language models?|tokens?|stream\w*|latency|ttft|chatbots?|bedrock|claude|prompts?|"
                  r"inference|time to first)\b", re.IGNORECASE)

_POLITE = re.compile(
    r"^(?:(?:please|kindly|ok(?:ay)?|so|now|also|and|quick question|hi|hello|hey)\b[,!.:]?\s+|"
    r"(?:can|could|would|will) you (?:please |kindly )?|"
    r"i(?: would|'d) like you to |i (?:want|need) you to |help me(?: to)? (?=\w)|"
    r"i (?:want|would like|'d like|need) to know |i(?: was|'m| am) wondering |i wonder |"
    r"in (?:about |around |roughly |under |less than |at most |exactly |no more than )?\d+ "
    r"(?:words|tokens|sentences)[,:]?\s*|(?:briefly|quickly|concisely)[,:]?\s+)", re.IGNORECASE)
_REQUEST_START = re.compile(
    r"^(?:explain|describe|write|list|compare|how|what|why|which|who|when|where|create|give|show|tell|make|"
    r"summari[sz]e|generate|implement|build|define|review|suggest|name|help|can|could|would|should|is|are|"
    r"do|does|please|i want|i need|in about)\b", re.IGNORECASE)


def _request(text: str) -> str:
    """The sentence that carries the request: in a long prompt the instruction usually follows the material."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    if len(text) > 400 and len(paragraphs) > 1:
        chunk = next((p for p in reversed(paragraphs) if len(p.split()) >= 3), paragraphs[-1])
    else:
        chunk = " ".join(text.split())
    sentences = [s.strip() for s in re.split(r"(?<=[.?!])\s+", " ".join(chunk.split())) if s.strip()]
    if not sentences:
        return ""
    for sentence in sentences:
        if sentence.endswith("?") or _REQUEST_START.match(_POLITE.sub("", sentence)):
            return sentence
    return sentences[0]


def _strip_polite(sentence: str) -> str:
    for _ in range(4):
        stripped = _POLITE.sub("", sentence, count=1)
        if stripped == sentence:
            break
        sentence = stripped
    return sentence.strip()


def _number(word: str | None) -> int:
    if not word:
        return 0
    word = word.lower().strip()
    return int(word) if word.isdigit() else _NUMBERS.get(word, 0)


def _referent(text: str) -> str:
    """What "it" points at in "Here is a design document. ... Review it"."""
    match = re.search(r"\b(?:here is|here's|below is|this is|attached is|i have|i wrote|we have)\s+"
                      r"(?:a|an|the|my|our)\s+([A-Za-z][\w -]{2,40}?)(?:[.:,\n]|$)", text, re.IGNORECASE)
    if match:
        return "the " + _clean(match.group(1)).lower()
    return ""


def _split_subject(words: list[str], be: bool = False) -> tuple[list[str], list[str]]:
    """(subject, rest) of "a message queue decouples services": the subject ends where a verb starts.

    After "is"/"are" ("why is the sky blue") it ends where a complement starts: an adjective, a participle
    or a small word."""
    if be:
        for i, word in enumerate(words[1:], 1):
            lower = word.lower()
            if (lower in _STOP or lower in _ADJECTIVES or _is_verb(word)
                    or lower.endswith(("ed", "ing", "ly", "ful", "ous", "ive", "able", "ible", "ic", "ent", "ant"))):
                if i == 1 and words[0].lower() in _DETERMINERS:
                    continue
                return words[:i], words[i:]
        cut = 2 if words[0].lower() in _DETERMINERS else 1
        return words[:cut], words[cut:]
    # After a determiner the next word is part of the subject even when it could be a verb ("a load balancer").
    start = 2 if words[0].lower() in _DETERMINERS and len(words) > 2 else 1
    for i in range(start, len(words)):
        if _is_verb(words[i]):
            while i + 1 < len(words) and _is_verb(words[i + 1]) and words[i + 1].lower() not in _PARTICLES:
                i += 1  # "a hash map handle collisions": the last of a run of verb-like words is the verb
            return words[:i], words[i:]
    for i in range(start, len(words)):  # an unknown verb in the third person: "decouples"
        if words[i].lower().endswith("s") and words[i].lower() not in _SINGULAR_S:
            return words[:i], words[i:]
    return words[:1], words[1:]


def _embed(wh: str, aux: str, rest: str) -> tuple[str, str, bool]:
    """("why", "does", "streaming feel faster") -> ("why streaming feels faster", "streaming", person)."""
    words = rest.split()
    if not words:
        return "", "", False
    aux_l = aux.lower()
    if aux_l in ("did", "has", "have"):
        return "", _trim(_swap(" ".join(_split_subject(words)[0]), _YOU)), False  # no regular way to embed these
    subject, verb_phrase = _split_subject(words, be=aux_l in ("is", "are", "was", "were"))
    person = " ".join(subject).lower() in _PEOPLE or " ".join(subject).lower() in ("a team", "my team", "a developer",
                                                                                   "an engineer", "a beginner")
    subject_text = _swap(" ".join(subject), _YOU)
    if aux_l in ("does", "do"):
        if verb_phrase and aux_l == "does":
            verb_phrase = [_third_person(verb_phrase[0].lower())] + verb_phrase[1:]
        middle = " ".join(verb_phrase)
    else:
        if subject_text.lower() == "you" and aux_l in ("am", "is"):
            aux_l = "are"
        middle = f"{aux_l} {' '.join(verb_phrase)}".strip()
    clause = _trim(f"{wh} {subject_text} {_swap(middle, _YOU)}", 14)
    return clause, _trim(subject_text), person


_ARTIFACTS = ("function|script|program|class|method|snippet|code|query|module|component|regex|regular expression|"
              "algorithm|command|cli|unit test|test|endpoint|api|parser|decorator|hook|example|implementation|"
              "dockerfile|makefile|loop|struct|interface|handler|server|client")
_CODE = re.compile(
    r"^(?:write|create|generate|implement|build|make|give me|show me|show|draft|produce|code|provide|i need|"
    r"i want)\s+(?:me\s+)?(?:(?:a|an|the|some)\s+)?(?:(?:simple|small|quick|short|basic|minimal|tiny|sample|"
    r"working)\s+)?(?P<lang>[\w#+.]+\s+)?(?P<art>" + _ARTIFACTS + r")s?\b(?P<rest>.*)$", re.IGNORECASE)
_IMPLEMENT = re.compile(r"^implement\s+(?P<rest>.+)$", re.IGNORECASE)
_STRONG_ARTIFACTS = _words("function script program class method snippet code query module component regex "
                           "algorithm parser decorator dockerfile makefile struct handler cli")
_CODE_REST = re.compile(r"^(?:that|which|to|for|in|using|with|from|of|who|called|named|[,:.?!])", re.IGNORECASE)
_TABLE = re.compile(r"\btables?\b|\btabular\b|\btabulate\b", re.IGNORECASE)
_NOT_TABLE = re.compile(r"\b(?:sql|database|db|create|drop|alter|join|hash|lookup|routing|truth|round|dining|"
                        r"periodic)\s+tables?\b|\btable of contents\b|\btables? (?:in|from|with) (?:sql|the "
                        r"database|postgres|mysql|a database)|\btable tennis\b", re.IGNORECASE)
_COMPARE = [re.compile(p, re.IGNORECASE) for p in (
    r"\b(?:compare|comparing|contrast)\s+(?P<a>.+?)\s+(?:and|with|to|vs\.?|versus|against)\s+(?P<b>.+)",
    r"\b(?:differences?|trade-?offs?|similarities)\s+between\s+(?P<a>.+?)\s+and\s+(?P<b>.+)",
    r"\b(?:choose|choosing|pick|picking|decide|deciding)\s+between\s+(?P<a>.+?)\s+(?:and|or)\s+(?P<b>.+)",
    r"(?:^|(?<=\s))(?P<a>[\w.+#-]+(?:\s+[\w.+#-]+){0,2})\s+(?:vs\.?|versus)\s+(?P<b>.+)",
    r"\b(?:should|do|would|could)\s+(?:i|we|you)\s+(?:use|choose|pick|go with|learn|buy|adopt|prefer)\s+(?P<a>.+?)"
    r"\s+or\s+(?P<b>.+)",
    r"\bwhich (?:is|one is)\s+(?:better|faster|cheaper|easier|safer|best)\b[,:]?\s+(?P<a>.+?)\s+or\s+(?P<b>.+)",
    r"\b(?:is|are)\s+(?P<a>.+?)\s+(?:better|faster|slower|cheaper|easier|harder|safer|more \w+|less \w+)\s+than"
    r"\s+(?P<b>.+)",
    r"\bpros and cons of\s+(?P<a>.+?)\s+(?:and|vs\.?|versus|or)\s+(?P<b>.+)",
)]
_CONTEXT = re.compile(r"\s+(?P<ctx>(?:for|in|when|on|at|if|within|inside|across)\s+.+)$", re.IGNORECASE)
_HOWTO = [re.compile(p, re.IGNORECASE) for p in (
    r"\b(?:steps?|instructions|checklist|procedure|walkthrough)\s+(?:to|for|on)\s+(?P<task>.+)",
    r"^how to\s+(?P<task>.+)",
    r"\b(?:best|right|easiest|fastest|simplest|quickest|recommended|proper|correct|safest|cheapest|good)\s+"
    r"ways?\s+to\s+(?P<task>.+)",
    r"^(?:i|we)\s+(?:need|want|have|am trying|'m trying|are trying|would like)\s+to\s+(?P<task>.+)",
    r"\bguide\s+(?:to|for|on)\s+(?P<task>.+)",
)]
_HOW_AUX = re.compile(r"^(?P<wh>how|why|what|when|where|which|who)\s+(?P<aux>do|does|did|is|are|was|were|can|could|"
                      r"should|would|will|might|must|shall|has|have)\s+(?P<rest>.+)$", re.IGNORECASE)
_LIST = re.compile(
    r"^(?:list|name|give(?: me)?|share|suggest|provide|recommend|what are|tell me|enumerate|brainstorm|"
    r"write|offer|outline)\s+(?:me\s+|us\s+)?(?:the\s+|some\s+|of\s+the\s+)?(?:(?P<n>\d+|one|two|three|four|five|"
    r"six|seven|eight|nine|ten|a few|a couple of|several)\s+)?(?P<adj>(?:(?:main|key|top|common|best|"
    r"biggest|most important|good|useful|practical|quick|simple|important|major|typical)\s+)*)"
    r"(?P<head>ways|tips|reasons|ideas|"
    r"examples|benefits|advantages|disadvantages|drawbacks|pros and cons|risks|pitfalls|mistakes|best practices|"
    r"practices|strategies|techniques|steps|features|uses|use cases|options|alternatives|tools|questions|facts|"
    r"things|rules|principles|causes|signs|types|kinds|considerations|factors|challenges|lessons|habits|"
    r"resources|metrics|points|methods|approaches)\b(?P<rest>.*)$", re.IGNORECASE)
_EXPLAIN = re.compile(
    r"^(?:explain|describe|define|summari[sz]e|clarify|discuss|elaborate on|break down|walk me through|"
    r"teach me(?: about)?|tell (?:me|us|\w+) about|talk about|what do you know about|i want to (?:understand|"
    r"learn about)|understand|introduce|give (?:me )?an? (?:overview|introduction|explanation|summary|primer)"
    r" (?:of|on)|help me understand|what about|how about|thoughts on)\s+(?P<x>.+)$", re.IGNORECASE)
_WHAT_IS = re.compile(r"^(?:what|who)(?P<verb>'s| is| are| was| were)\s+(?P<x>.+)$", re.IGNORECASE)
_WRITE = re.compile(
    r"^write\s+(?:me\s+)?(?:(?:about\s+)?\d+\s+(?:words|tokens)\s+|(?:a|an|the|some)\s+(?:(?:short|brief|long|"
    r"quick|detailed|simple|\d+-word)\s+)*(?P<form>essay|article|paragraph|blog post|post|note|overview|"
    r"introduction|summary|report|story|poem|haiku|email|letter|speech|description|explanation|guide|runbook|"
    r"playbook|plan|proposal|memo|faq|tutorial|readme|outline|document|announcement|message|paragraphs|"
    r"section|primer)s?\s+)?(?:about|on|of|for|explaining|describing|covering|introducing)\s+(?P<x>.+)$",
    re.IGNORECASE)
_WRITE_DOC = re.compile(
    r"^(?:write|draft|create|prepare|produce|put together)\s+(?P<x>(?:a|an|the|my|our)\s+(?:[\w-]+\s+){0,3}?"
    r"(?P<form>runbook|playbook|plan|proposal|memo|guide|tutorial|readme|outline|checklist|report|document|"
    r"postmortem|post-mortem|email|letter|announcement|summary|faq|policy|spec|specification)\b.*)$",
    re.IGNORECASE)
_REVIEW = re.compile(r"^(?:review|critique|evaluate|assess|analy[sz]e|audit|give (?:me )?feedback on|"
                     r"comment on|look at)\s+(?P<x>[^:]+?)(?:\s*:\s*(?P<outline>.+))?$", re.IGNORECASE)
_YESNO = re.compile(r"^(?:is|are|can|does|do|should|will|would|could|has|have|was|were)\s+(?P<x>.+)$",
                    re.IGNORECASE)
_BRIEF = re.compile(r"\b(?:brief(?:ly)?|concise(?:ly)?|short|terse|succinct|one sentence|few words|"
                    r"to the point|keep it simple|tl;?dr)\b", re.IGNORECASE)
_DETAILED = re.compile(r"\b(?:detailed|in detail|thorough(?:ly)?|in depth|in-depth|comprehensive|exhaustive|"
                       r"long-form)\b", re.IGNORECASE)
_PLAIN = re.compile(r"\b(?:plain text|no markdown|without markdown|no formatting|no bullet|no lists)\b",
                    re.IGNORECASE)
_BULLETS = re.compile(r"\bbullet(?:s|ed| points?)?\b", re.IGNORECASE)
_STEPS_WORD = re.compile(r"\bstep[- ]by[- ]step\b|\b(?:\d+|three|four|five|six|seven|eight) steps\b",
                         re.IGNORECASE)


def _language(text: str) -> str:
    for pattern, key in _LANG_NAMES:
        if pattern.search(text):
            return key
    return ""


def _lead_trim(phrase: str) -> str:
    """ "I pick Rust" -> "Rust": words before the item that belong to the question."""
    words = phrase.split()
    while len(words) > 1 and (words[0].lower() in _PEOPLE or words[0].lower() in ("you", "should", "would",
                              "which", "is", "are", "use", "pick", "choose", "between", "the", "differences")
                              or (words[0].lower() in _STOP and words[0].lower() not in _DETERMINERS)
                              or _is_verb(words[0])):
        words.pop(0)
    return " ".join(words)


def _items(a: str, b: str) -> tuple[tuple[str, ...], str]:
    """Compared items and the context after them: ("streaming", "batch responses"), "for a chatbot"."""
    context = ""
    found = _CONTEXT.search(b)
    if found and len(b[: found.start()].split()) >= 1:
        context, b = _trim(found.group("ctx"), 12), b[: found.start()]
    parts = [p for p in re.split(r",\s*(?:and\s+|or\s+)?|\s+and\s+", a) if p.strip()] + [b]
    items = tuple(dict.fromkeys(t for t in (_trim(_lead_trim(_swap(p, _YOU)), 5) for p in parts) if t))
    return items[:4], context


def _doc_keywords(text: str) -> tuple[str, ...]:
    """The phrases a long text keeps coming back to, most frequent first: "the cold tier", "consumers"."""
    counts: dict[str, int] = {}
    for phrase in _noun_phrases(text, limit=400, strict=True):
        bare = _bare(phrase).lower()
        if 3 < len(bare) and bare.count(" ") < 3 and bare not in _PEOPLE and bare not in _FORM_WORDS:
            counts[bare] = counts.get(bare, 0) + 1 + bare.count(" ")
    ranked = sorted((k for k in counts if counts[k] >= 2), key=lambda k: (-counts[k], k))
    return tuple(ranked[:6])


_TROUBLE = re.compile(r"\b(?:errors?|fails?|failing|failed|crash(?:es|ed|ing)?|times? out|timing out|timeouts?|"
                      r"doesn't work|does not work|isn't working|not working|broken|hangs?|hanging|stuck|"
                      r"exceptions?|throws?|keeps? (?:failing|crashing)|too slow|very slow|is slow|are slow)\b",
                      re.IGNORECASE)
_LANG_AT_END = re.compile(r"\s+(?:in|using|with)\s+(?:python\d?|javascript|typescript|go|golang|rust|java|c#|"
                          r"sql|bash|ruby|node(?:\.js)?|the shell|a shell script)\s*$", re.IGNORECASE)


def read_prompt(user_text: str, system: str = "") -> Reading:
    """What the prompt asks for and about what; see `Reading`."""
    if len(user_text) + len(system) <= 4000:  # benchmarks repeat their prompts: read each once
        return _read_cached(user_text, system)
    return _read(user_text, system)


@functools.lru_cache(maxsize=256)
def _read_cached(user_text: str, system: str) -> Reading:
    return _read(user_text, system)


def _read(user_text: str, system: str) -> Reading:
    text = user_text.strip()
    sentence = _strip_polite(_request(text))[:600]  # a longer "sentence" is material, not the request
    question = sentence.endswith("?")
    sentence = sentence.rstrip("?!. ")
    lower = sentence.lower()
    plain_words = [w.strip("!?.,") for w in text.lower().split()]
    head = text[:20000]  # enough to tell what a prompt is about; a huge paste costs no more than this
    tech = bool(_TECH.search(head))
    llm = bool(_LLM.search(sentence) or (len(text) <= 400 and _LLM.search(text)))
    keywords = tuple(p for p in dict.fromkeys(_bare(p) for p in _noun_phrases(_swap(sentence, _YOU)))
                     if p.lower() not in _PEOPLE and p.lower() not in ("you", "it", "this", "that", "them"))
    number = re.search(r"\b(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten)\s+(?:\w+\s+)?"
                       r"(?:steps|ways|tips|reasons|ideas|examples|items|points|things|rows|bullets|questions)\b",
                       lower)
    count = _number(number.group(1)) if number else 0
    referent = _referent(head)
    if referent and len(text) > 400:
        keywords = _doc_keywords(head) + keywords

    def make(kind: str, topic: str = "", plural: bool = False, **fields: Any) -> Reading:
        fields.setdefault("keywords", keywords)
        fields.setdefault("tech", tech)
        return Reading(kind, topic, plural, llm=llm, request=text, **fields)

    if not plain_words or (len(plain_words) <= 4 and any(w in _GREETINGS for w in plain_words)
                           and not re.search(r"\b(?:explain|what|how|why|write)\b", text, re.IGNORECASE)):
        return make("greeting")
    if len(plain_words) <= 5 and re.match(r"^(?:thanks|thank you|thx|ty|cheers|great|perfect|awesome)\b", lower):
        return make("thanks")

    def resolve(phrase: str) -> str:
        phrase = _trim(_swap(phrase, _YOU))
        head = phrase.split(" ", 1)[0].lower() if phrase else ""
        if head in ("it", "this", "that", "them", "these", "those"):
            rest = phrase.split(" ", 1)[1] if " " in phrase else ""
            if head in ("this", "that", "these", "those") and rest and not rest.startswith(("to ", "for ")):
                return phrase  # "this service" is a phrase of its own
            return referent or (keywords[0] if keywords else "your text")
        return phrase

    def first_keyword(default: str) -> str:
        return keywords[0] if keywords else default

    # Code: "write a Python function that ...", "implement binary search in Go".
    lang = _language(text) or _language(system)
    code = _CODE.match(sentence)
    if code:
        rest = code.group("rest").strip()
        weak = code.group("art").lower() not in _STRONG_ARTIFACTS and not (tech or lang)
        if weak or (rest and not _CODE_REST.match(rest)):
            code = None
    implement = _IMPLEMENT.match(sentence)
    fenced = "```" in text
    if code or fenced or (implement and (tech or lang)):
        if fenced:
            art, rest = "revised version", ""
        elif code:
            art, rest = code.group("art").lower(), code.group("rest")
        else:
            art, rest = "implementation", implement.group("rest") if implement else ""
        purpose = _trim(_swap(_LANG_AT_END.sub("", _trim(rest, 16)), _YOU), 12)
        if art == "implementation" and purpose and not purpose.lower().startswith(("of ", "for ")):
            purpose = "of " + purpose
        if art == "query" and not lang:
            lang = "sql"
        art = "regex" if art == "regular expression" else art
        subject = _bare(purpose.split(" ", 1)[1]) if " " in purpose else ""
        return make("code", subject or first_keyword("the code"), lang=lang or "python", artifact=art,
                    purpose=purpose)

    # Tables: "a table comparing X and Y", "X in a table", "table of X".
    if _TABLE.search(sentence) and not _NOT_TABLE.search(sentence):
        items: tuple[str, ...] = ()
        context = ""
        for pattern in _COMPARE:
            found = pattern.search(sentence)
            if found:
                b = re.sub(r"\s+(?:in|as|into)\s+an?\s+(?:\w+\s+)?table\b.*$", "", found.group("b"), flags=re.I)
                items, context = _items(found.group("a"), b)
                break
        items = items if len(items) >= 2 else ()
        columns: tuple[str, ...] = ()
        cols = re.search(r"\bcolumns?\s+(?:for\s+|of\s+|named\s+|called\s+)?(.+?)(?:\.|$)", sentence, re.IGNORECASE)
        if cols:
            columns = tuple(c for c in (_trim(p, 4) for p in re.split(r",\s*(?:and\s+)?|\s+and\s+", cols.group(1)))
                            if c)[:5]
        about = re.search(r"\btables?\s+(?:of|about|on|for|comparing|that compares|showing|summari[sz]ing|listing|"
                          r"with|covering)\s+(?P<x>.+)", sentence, re.IGNORECASE) or re.search(
            r"^(?:make|create|give me|show|build|draw|put|present|summari[sz]e|list|organi[sz]e|format)\s+(?:me\s+)?"
            r"(?P<x>.+?)\s+(?:in|as|into)\s+(?:a|an)\s+(?:\w+\s+)?table", sentence, re.IGNORECASE)
        phrase = about.group("x") if about else ""
        phrase = re.sub(r"^(?:the\s+)?(?:main\s+)?(?:differences|comparison)\s+(?:between|of)\s+", "", phrase,
                        flags=re.I)
        phrase = "" if re.match(r"^columns?\b", phrase, re.IGNORECASE) else phrase
        phrase = re.sub(r"\s+(?:with|showing|using)\s+(?:the\s+)?(?:columns?|fields?|headers?)\b.*$", "", phrase,
                        flags=re.IGNORECASE)
        topic = " and ".join(items) if items else (resolve(phrase) or first_keyword("the topic"))
        return make("table", topic, _is_plural(topic), items=items, context=context, columns=columns, count=count)

    # Reviews, documents and lists before comparisons: "list the pros and cons of A and B" is a list.
    review = _REVIEW.match(sentence)
    if review:
        topic = resolve(review.group("x")) or first_keyword("your text")
        outline: tuple[str, ...] = ()
        if review.group("outline"):
            outline = tuple(o for o in (_trim(_swap(p, _ME), 6) for p in re.split(
                r",\s*(?:and\s+)?|\s+and\s+(?=what|how|where|which|why)", review.group("outline"))) if o)[:5]
        return make("review", topic, _is_plural(topic), outline=outline)
    document = _WRITE_DOC.match(sentence)
    if document:
        title = _trim(_swap(document.group("x"), _YOU), 14)
        form = document.group("form").lower()
        return make("document", f"the {form}", False, purpose=title, artifact=form)
    listed = _LIST.match(sentence)
    if listed:
        head = listed.group("head").lower()
        rest = _trim(_swap(listed.group("rest"), _YOU), 12)
        found = re.match(r"^(?:to|for|on|of|about|in|when|with|why|that)\s+(.+)$", rest, re.IGNORECASE)
        phrase = found.group(1) if found else rest
        task = ""
        if re.match(r"^to\s", rest, re.IGNORECASE) and phrase.split()[0].lower() in _VERBS:
            task = phrase
            topic, plural = _gerund(phrase.split()[0].lower()) + phrase[len(phrase.split()[0]):], False
        elif re.match(r"^(?:why|when|that)\s", rest, re.IGNORECASE) or not phrase:
            topic = first_keyword("the topic")
            plural = _is_plural(topic)
        else:
            topic = resolve(phrase) or first_keyword("the topic")
            plural = _is_plural(topic) and not topic.split()[0].lower().endswith("ing")
        if head == "steps":
            return make("steps", topic, False, task=task or f"work with {topic}", count=_number(listed.group("n")))
        items, context = (), ""
        if head == "pros and cons":
            pair = _COMPARE[-1].search(sentence)
            if pair:
                items, context = _items(pair.group("a"), pair.group("b"))
        adjectives = _trim(listed.group("adj") or "", 3)
        return make("list", topic, plural, task=task, artifact=(adjectives + " " + head).strip(), items=items,
                    context=context, purpose=rest, count=_number(listed.group("n")))

    # Problems: "my Lambda function times out", "why does my build fail?"
    if _TROUBLE.search(sentence) and not re.match(r"^(?:what|explain|describe)\b", lower):
        topic = next((p for p in _noun_phrases(_swap(sentence, _YOU)) if p.lower() not in _PEOPLE
                      and p.lower() != "you"), "the problem")
        return make("troubleshoot", topic, _is_plural(topic), tech=True)

    consider = re.match(r"^what (?:should|do|must|would|could) (?:i|we|you|one) (?:consider|know|look for|keep in "
                        r"mind|think about|watch out for|check)\b\s*(?P<rest>.*)$", sentence, re.IGNORECASE)
    if consider:
        rest = _trim(_swap(consider.group("rest"), _YOU), 12)
        words = rest.split()
        topic = first_keyword("the decision")
        if len(words) > 1 and words[1].lower().endswith("ing"):
            topic = " ".join(words[1:])  # "when choosing a laptop" -> "choosing a laptop"
        return make("list", topic, False, artifact="things to consider", purpose=rest, count=count)
    # How-tos: steps, or a decision when two options are named ("how do I choose between A and B").
    task = ""
    how = _HOW_AUX.match(sentence)
    if how and how.group("wh").lower() in ("what", "who") and how.group("aux").lower() in ("is", "are", "was",
                                                                                            "were"):
        how = None  # a definition: "what is a vector database"
    if how and how.group("wh").lower() == "how":
        _, _, person = _embed("how", how.group("aux"), how.group("rest"))
        if person:
            task = _trim(_swap(" ".join(_split_subject(how.group("rest").split())[1]), _YOU), 14)
    if not task:
        for pattern in _HOWTO:
            found = pattern.search(sentence)
            if found:
                words = found.group("task").split()
                if words and words[0].lower().endswith("ing") and _ungerund(words[0]) in _VERBS:
                    words[0] = _ungerund(words[0])
                if words and (words[0].lower() in _VERBS or pattern is _HOWTO[1]):
                    task = _trim(_swap(" ".join(words), _YOU), 14)
                    break
    if task:
        in_lang = _LANG_AT_END.search(task)
        if in_lang and _language(in_lang.group(0)):  # "how do I read a file in Rust": show the code
            bare_task = task[: in_lang.start()]
            return make("code", _bare(" ".join(bare_task.split()[1:])) or bare_task, lang=_language(in_lang.group(0)),
                        artifact="example", purpose="to " + bare_task, task=bare_task)
        words = task.split()
        topic = _gerund(_verb_base(words[0])) + (" " + " ".join(words[1:]) if len(words) > 1 else "")
        for pattern in _COMPARE:
            found = pattern.search(sentence)
            if found:
                items, context = _items(found.group("a"), found.group("b"))
                if len(items) >= 2:
                    return make("decide", topic, False, task=task, items=items, context=context)
        return make("steps", topic, False, task=task, count=count)

    for pattern in _COMPARE:
        found = pattern.search(sentence)
        if found:
            items, context = _items(found.group("a"), found.group("b"))
            if len(items) >= 2:
                return make("compare", " and ".join(items), True, items=items, context=context)

    if how:  # "how does X work", "why do databases use indexes", "what does a load balancer do"
        clause, subject, _ = _embed(how.group("wh").lower(), how.group("aux"), how.group("rest"))
        topic = resolve(subject) or first_keyword("the question")
        if clause and len(clause.split()) >= 3:
            return make("explain", topic, _is_plural(topic), clause=clause, count=count)
        if how.group("wh").lower() == "why":  # "why did the Roman Empire fall": no clause, the reasons
            return make("explain", topic, _is_plural(topic), artifact="reasons", count=count)
    why = re.match(r"^why\s+(?P<rest>.+)$", sentence, re.IGNORECASE)
    if why:
        return make("explain", first_keyword("the question"), False, clause=_trim("why " + _swap(why.group("rest"),
                                                                                             _YOU), 14), count=count)

    write = _WRITE.match(sentence)
    if write:
        topic = resolve(write.group("x")) or first_keyword("your question")
        return make("essay", topic, _is_plural(topic), artifact=(write.group("form") or "").lower(), count=count)

    explain = _EXPLAIN.match(sentence)
    if explain:
        x = _swap(explain.group("x"), _YOU)
        audience = re.search(r"\s+(?:to|for)\s+(?P<who>(?:a|an|the|someone|somebody|people|beginners|kids|children|"
                             r"non-|my|our|your|new)\b.*)$", x, re.IGNORECASE)
        context = ""
        if audience:
            context, x = "for " + _trim(audience.group("who"), 12), x[: audience.start()]
        if re.match(r"^(?:how|why|what|when|where|whether|which|who)\s", x, re.IGNORECASE):
            clause = _trim(x, 14)
            wh_rest = clause.split(" ", 1)[1] if " " in clause else ""
            subject_words = _split_subject(wh_rest.split())[0] if wh_rest else []
            topic = resolve(" ".join(subject_words)) or first_keyword("the question")
            return make("explain", topic, _is_plural(topic), clause=clause, context=context)
        topic = resolve(x) or first_keyword("your question")
        wants_code = re.search(r"\b(?:examples?|code|snippet)\b", sentence, re.IGNORECASE)
        return make("explain", topic, _is_plural(topic), context=context, count=count,
                    lang=_language(sentence) if wants_code else "")

    what = _WHAT_IS.match(sentence)
    if what:
        topic = resolve(what.group("x"))
        if topic and lower.startswith("who") and topic[:1].isupper():
            return make("person", topic, False)
        if topic:
            plural = what.group("verb").strip() in ("are", "were") or _is_plural(topic)
            return make("explain", topic, plural, count=count)

    yesno = _YESNO.match(sentence) if question else None
    if yesno:
        topic = first_keyword("that")
        return make("yesno", topic, _is_plural(topic), clause=_trim(_swap(yesno.group("x"), _YOU), 14))

    first = sentence.split(" ", 1)[0].lower()
    if first in _VERBS and " " in sentence and first not in ("do", "be", "have", "let", "like", "mind"):
        task = _trim(_swap(sentence, _YOU), 14)  # "plan a trip to Japan"
        words = task.split()
        return make("steps", _gerund(words[0].lower()) + " " + " ".join(words[1:]), False, task=task, count=count)
    if _STEPS_WORD.search(sentence) and keywords:
        return make("steps", keywords[0], False, task=f"work with {keywords[0]}", count=count)
    if not keywords:
        return make("greeting")
    return make("essay", keywords[0], _is_plural(keywords[0]))


def read_style(user_text: str, system: str) -> Style:
    both = f"{system}\n{user_text}"
    return Style(brief=bool(_BRIEF.search(both)) and not _DETAILED.search(system),
                 detailed=bool(_DETAILED.search(system)), plain=bool(_PLAIN.search(both)),
                 bullets=bool(_BULLETS.search(both)), pirate="pirate" in system.lower())


# -- vocabulary -----------------------------------------------------------------------------------------
# Slots: {t} topic, {T} capitalised, {is} {s} {it} {It} {its} {them} {does} {has} agree with it; {k} {K} another
# phrase from the prompt; {a} {b} {A} {B} compared items; {task} {task_ing} {Task_ing} a verb phrase; {clause}
# {Clause} an embedded question; {ctx} a context ("for a chatbot"); {lang} a language; {model} the model.

_OPENERS: dict[str, tuple[str, ...]] = {
    "explain_for": (
        "Here is {t}, explained {ctx}.",
        "Here is a plain-language explanation of {t}, written {ctx}.",
    ),
    "explain": (
        "Here is a plain-language explanation of {t}, starting with the big picture.",
        "{T} {is} easiest to understand through the problem {it} solve{s}, so that is where I will start.",
        "Good question. {T} come{s} up often, and the core idea is simpler than it first looks.",
        "At {its} heart, {t} {is} about one idea, and most of the details follow from it.",
        "Here is an overview of {t}: what {it} {is}, why {it} matter{s}, and what to watch for.",
    ),
    "explain_general": (
        "Here is a short overview of {t}.",
        "Good question. Here is an outline of {t}, from the big picture to the details.",
        "Here is a plain-language overview of {t}, starting with the big picture.",
    ),
    "explain_reasons": (
        "There are several reasons behind it, and they are easier to follow one at a time, starting with {t} itself.",
        "Good question. The answer involves several causes, and it helps to look at {t} from a few angles.",
    ),
    "person": (
        "Here is a short profile of {t}.",
        "{T} is best understood in the context of their time, so that is where I will start.",
    ),
    "explain_clause": (
        "Here is {clause}, in plain terms.",
        "To see {clause}, it helps to start with the problem being solved.",
        "Good question. {Clause} comes down to a few ideas that build on each other.",
        "The short version of {clause} fits in a sentence; the useful details take a little longer.",
    ),
    "explain_why": (
        "There are a few reasons {clause}, and they fit together neatly.",
        "Good question. The answer to {clause} is easiest to follow in a few steps.",
        "{Clause} has a short answer and a longer one; here is the outline of both.",
    ),
    "essay": (
        "Here are some thoughts on {t}.",
        "{T} {is} a broad subject, so here is a focused overview.",
        "Here is a short piece on {t}, from the outline to the details.",
        "{T} {is} worth a closer look, so here is an overview.",
    ),
    "steps": (
        "Here is a practical way to {task}.",
        "To {task}, it helps to work in a few deliberate steps rather than all at once.",
        "The most reliable way to {task} is to start from the result you want and work backwards.",
        "{Task_ing} goes smoothly if you take it one step at a time.",
    ),
    "decide": (
        "Choosing between {a} and {b} is less about which is better and more about which fits your situation.",
        "Both {a} and {b} have their place; the right choice depends on what matters most to you.",
        "The choice between {a} and {b} comes down to a few questions, and most of them have clear answers.",
    ),
    "compare": (
        "Here is a side-by-side look at {a} and {b}.",
        "{A} and {b} overlap more than their names suggest, but they make different trade-offs.",
        "Comparing {a} and {b} is easiest when you fix the criteria first and then score each option.",
        "{A} and {b} are often mentioned together, so here is how they differ.",
    ),
    "table": (
        "Here is a table of {t}.",
        "Here is a summary of {t} in table form.",
        "Here is an overview of {t} at a glance.",
    ),
    "table_compare": (
        "Here is a comparison of {a} and {b} in table form.",
        "Here is how {a} and {b} compare, side by side.",
    ),
    "list": (
        "Here are {n} {head} {rest}.",
        "Here are {n} {head} {rest}, roughly in order of impact.",
        "Here are {n} {head} {rest} that hold up in practice.",
    ),
    "code": (
        "Here is {art_phrase} {purpose}.",
        "Here is {art_phrase} {purpose}, with a short explanation after it.",
        "Sure. Here is {art_phrase} {purpose}.",
    ),
    "review": (
        "Here is a review of {t}.",
        "I read through {t}; here is my assessment.",
        "Here is my review of {t}, with the points I would raise first.",
    ),
    "document": (
        "Here is {title}.",
        "Here is a first draft of {title}.",
    ),
    "troubleshoot": (
        "Here is how I would troubleshoot {t}.",
        "Let's narrow down what is happening with {t}.",
        "That sounds frustrating; here is a systematic way to find out what is wrong with {t}.",
    ),
    "yesno": (
        "In most cases, yes, although the details matter.",
        "Usually, yes, but it depends on a few things worth checking first.",
        "The honest answer is that it depends, and the deciding factors are easy to check.",
    ),
}

_THEMES: dict[str, tuple[str, tuple[str, ...]]] = {  # name: (heading, sentences)
    "basics": ("The basic idea", (
        "The best place to start is with what {t} {is} for, because the details make more sense once the "
        "purpose is clear.",
        "A one-sentence definition is a useful anchor, but it rarely captures why people care.",
        "It helps to separate the idea itself from the many ways it gets applied.",
        "Once the purpose is clear, the vocabulary around {t} starts to make sense.",
        "Most introductions go wrong by starting with the details; the purpose is a better first step.",
        "A simple mental model goes a long way here, even if it leaves out some of the finer points.",
    )),
    "why": ("Why it matters", (
        "{T} matter{s} for a practical reason: {it} change{s} what is easy and what is hard.",
        "People tend to notice {t} only when something goes wrong, which is a good reason to understand "
        "{them} before then.",
        "The benefits are real, but so are the costs, and a fair picture includes both.",
        "In many situations the difference is small; in a few, it decides the outcome.",
        "Understanding {t} also makes neighbouring topics easier, because many of the same ideas come back.",
    )),
    "practice": ("In practice", (
        "In practice, the details depend on context, so a rule that works in one place may need adjusting in "
        "another.",
        "A concrete example usually teaches more than a definition, so it is worth following one case from "
        "start to finish.",
        "Start with the simplest version that could work, and add refinements only when you can say why they "
        "are needed.",
        "Small experiments are cheap, and they settle questions that could otherwise be argued about for a "
        "long time.",
        "It is worth writing down what you expect before you try something, so the result actually teaches "
        "you something.",
    )),
    "pitfalls": ("Common pitfalls", (
        "A common mistake is to treat {t} as all-or-nothing, when most real situations sit somewhere in "
        "between.",
        "Another is to copy a recipe without understanding why it works, which makes it hard to adapt when "
        "things change.",
        "It is easy to plan for the typical case and forget the unusual ones, which are often where problems "
        "appear.",
        "The first explanation that sounds right is not always the complete one, so it pays to check it "
        "against an example.",
        "Skipping the basics to get to the advanced material usually costs more time than it saves.",
    )),
    "tradeoffs": ("Trade-offs", (
        "Every approach to {t} gives something up, and the useful question is whether the trade is worth it "
        "for you.",
        "Simplicity and flexibility often pull in opposite directions, so it helps to decide which you need "
        "more.",
        "What is cheap at the start can become expensive later, and the reverse is true as well.",
        "There is rarely a single best answer, but there is usually a best answer for a particular situation.",
    )),
    "example": ("A worked example", (
        "Imagine meeting {t} for the first time with a specific goal in mind.",
        "The first step is to describe that goal in one sentence, without any jargon.",
        "Next, look at what is already in place and what would have to change.",
        "Then try the smallest change that moves you toward the goal, and look closely at what happens.",
        "The result will rarely be perfect on the first attempt, but it will show you where to look next.",
        "Repeating that loop a few times builds more understanding than reading about it for hours.",
    )),
    "measure": ("Measuring it", (
        "The numbers are worth collecting early, because a baseline makes every later change easy to judge.",
        "Look at the distribution, not just the average; the slowest few percent are what people remember.",
        "Measure under realistic load, since a quiet test environment can hide the problems that matter.",
        "Keep the measurements next to the change that produced them, so the history explains itself.",
        "If a number cannot be measured yet, say so rather than guessing; a wrong figure is worse than a "
        "missing one.",
    )),
    "operate": ("Running it in production", (
        "Good defaults matter more than many options, because most people never change them.",
        "Decide early what should happen when a dependency fails, and make that path visible and recoverable.",
        "Small, reversible changes are easier to reason about than large ones, and much easier to roll back.",
        "A few well-chosen alerts beat a wall of dashboards that nobody reads.",
        "Scale changes the answer: what works for ten requests a minute may not hold at ten thousand.",
        "Security and cost are easy to ignore at the start and expensive to add later.",
    )),
    "design": ("Design choices", (
        "Start with the simplest design that could work, and add complexity only when a measurement asks for "
        "it.",
        "Clear boundaries between components make it easier to change one part without breaking another.",
        "Writing down the assumptions behind a design makes it much easier to revisit when they change.",
        "Prefer boring, well-understood technology for the parts that must not fail.",
        "When {t} interact{s} with other parts of a system, test the combination rather than each part alone.",
    )),
    "latency": ("What users notice", (
        "Streaming lets people start reading while the rest of the answer is still being written, which "
        "makes the wait feel shorter.",
        "Time to first token is what people feel; total time matters most when another program waits for "
        "the whole answer.",
        "Output speed in tokens per second varies by model and by load, so measure it for the models you "
        "actually use.",
        "A long prompt takes longer to process, so the time to first token grows with the input as well.",
        "Retries and throttling add latency that never shows up in a single quick test.",
        "Comparing models fairly means using the same prompts, the same limits and the same region.",
    )),
}
_THEMES.update({
    "outline": ("The big picture", (
        "A good explanation of {t} starts with the big picture, and only then moves to the details.",
        "The outline is what you will remember later, so it is worth getting it clear before anything else.",
        "Much of what makes {t} interesting sits in the details, but the details only make sense against the "
        "bigger picture.",
        "A simple mental model goes a long way here, even if it leaves out some of the finer points.",
        "It helps to pin down a few key terms first, because the rest of the explanation leans on them.",
    )),
    "background": ("Background", (
        "A little background helps, because knowing where {t} came from makes {them} easier to place.",
        "It is worth asking how views on {t} have changed over time, and why.",
        "Seeing how {t} connect{s} to neighbouring ideas makes each of them easier to remember.",
        "Context matters too: the same idea can look quite different from one field to another.",
    )),
    "misconceptions": ("Common misconceptions", (
        "A common misconception is that {t} {is} simpler, or more mysterious, than {it} really {is}.",
        "The popular version of {t} leaves out some nuance, and the nuance is often where the interesting part is.",
        "It is easy to mistake a correlation for a cause here, so it is worth asking what else could explain "
        "the pattern.",
        "Another trap is to remember a striking example and treat it as the typical case.",
    )),
    "examples": ("Examples", (
        "Specific examples make the general idea concrete, so it is worth keeping one or two in mind.",
        "A good example is small enough to follow completely and rich enough to show the main idea at work.",
        "Comparing two contrasting examples often shows more than studying either one alone.",
        "Pictures and diagrams help as well, because relationships are easier to see than to describe.",
    )),
    "profile": ("Their life and work", (
        "Much of what is remembered about {t} comes from a few well-known episodes, and the full picture is "
        "richer.",
        "It helps to know what problems people were working on at the time, because that shows what was new.",
        "Later generations have read {t}'s work in different ways, which says as much about them as about {t}.",
        "The people around {t} matter too: collaborators, critics and rivals all shaped the story.",
    )),
    "learning": ("Learning more", (
        "A good next step is a short, reliable introduction, followed by one deeper source on the part that "
        "interests you most.",
        "Explaining {t} to someone else, in your own words, is one of the best ways to check your understanding.",
        "It is worth noting which parts are well established and which are still debated, because sources "
        "do not always say.",
        "Coming back to the subject after a few days is surprisingly effective; the structure settles in between.",
    )),
})
_GENERAL_THEMES = ("outline", "background", "examples", "misconceptions", "learning")
_PRACTICAL_THEMES = ("basics", "why", "practice", "example", "pitfalls", "tradeoffs")
_TECH_THEMES = ("basics", "why", "design", "practice", "measure", "operate", "pitfalls", "tradeoffs", "example")
_KEYWORD_SENTENCES = (
    "Questions about {k} are worth settling early, because they shape much of what follows.",
    "Give some thought to {k} as well, especially once the basics are in place.",
    "The way {t} relate{s} to {k} is a good place to look for surprises.",
    "It also pays to look at {k} separately, and then at how the pieces fit together.",
)
_CONNECTIVES = ("In practice, ", "That said, ", "Beyond that, ", "Just as important, ", "As a rule, ", "Equally, ",
                "On top of that, ")
_JOINABLE = _words("The A It Most Small Good Every There Clear Writing Prefer People Understanding Simplicity "
                   "Security Scale Output Comparing Streaming Retries Time")
_KEY_POINTS = (
    ("Purpose", "Know what {t} {is} for before worrying about the details."),
    ("Context", "The same idea can look quite different depending on where it is applied."),
    ("Trade-offs", "Every choice gives something up; make the trade deliberately."),
    ("Examples", "One worked example teaches more than several definitions."),
    ("Limits", "Knowing where {t} stop{s} being useful is as valuable as knowing where {it} shine{s}."),
    ("Vocabulary", "A handful of terms carry most of the meaning, so learn those first."),
)
_KNOWLEDGE_POINTS = (
    ("The big picture", "Start with what {t} {is} and why {it} matter{s}, then add detail."),
    ("Key terms", "A handful of terms carry most of the meaning, so learn those first."),
    ("Examples", "One worked example teaches more than several definitions."),
    ("Connections", "Linking {t} to ideas you already know makes {them} easier to remember."),
    ("Nuance", "The popular summary is a good start, but the details are where the interest is."),
    ("Sources", "One reliable source is worth more than many quick summaries."),
)
_TECH_POINTS = (
    ("Measurement", "A baseline makes every later change easy to judge."),
    ("Failure modes", "Decide what should happen when something breaks, before it does."),
    ("Defaults", "Most people never change them, so choose them with care."),
    ("Scale", "What works for a handful of requests may not hold at thousands."),
    ("Simplicity", "The simplest design that meets the need is the easiest to run and to debug."),
)
_STEPS: tuple[tuple[str, str, str], ...] = (  # (lead, sentence, when: any/build/ops), in a sensible order
    ("Define the goal", "Before you {task}, write down what a good result looks like, so you know when you are "
                        "done.", "any"),
    ("Check what you have", "Note the tools, access and constraints you are working with, and anything that must "
                            "not change.", "any"),
    ("Set up a safe place to try it", "Use a test environment or a separate branch, so nothing you do affects "
                                      "real users.", "ops"),
    ("Measure a baseline", "Record how things behave today, so you can tell whether the change helped.", "ops"),
    ("Start small", "Try the approach on a small, low-risk example first, where a mistake is cheap to fix.", "any"),
    ("Make one change at a time", "Keep each step small enough that you can tell what caused any difference.",
     "build"),
    ("Handle the edge cases", "Think about empty input, unusual values and failures, and decide what should happen "
                              "in each.", "build"),
    ("Verify the result", "Compare what you got with the goal from the first step, using real examples rather than "
                          "guesses.", "any"),
    ("Roll it out gradually", "Start with a small share of the traffic and widen it as the numbers hold up.", "ops"),
    ("Automate the repeatable parts", "A short script beats a long checklist that someone has to follow by hand.",
     "build"),
    ("Write it down", "Record what you did and why, so the next person can repeat it.", "any"),
    ("Review and adjust", "Come back after some real use and refine whatever did not work as expected.", "any"),
)
_OPS = re.compile(r"\b(?:deploy\w*|production|migrat\w*|roll\w* out|rollout|release\w*|upgrad\w*|service\w*|"
                  r"traffic|latency|performance|scal\w+|cluster\w*|database\w*|infrastructure|pipeline\w*|"
                  r"server\w*|api|apis|endpoint\w*|models?|compare)\b", re.IGNORECASE)
_BUILD = re.compile(r"\b(?:build|write|implement|create|parse|process|handle|code|develop|design|add|convert|"
                    r"validate|automate|migrate|integrate|refactor|set up|configure)\b", re.IGNORECASE)
_CRITERIA = (
    ("What matters most to the people using it?", "Speed, cost and simplicity rarely all point the same way."),
    ("How much will it grow?", "A choice that is fine today may be strained at ten times the volume."),
    ("What does the team already know?", "Familiar tools are cheaper to run and easier to debug."),
    ("How hard is it to change later?", "If you are unsure, prefer the option that keeps the door open."),
    ("What does it cost to run?", "Count the time people spend on it, not just the bill."),
    ("What happens when it fails?", "The option with the gentler failure mode is often the better one."),
)
_FITS = (
    "your requirements are clear and stable, and a simple setup matters more than flexibility",
    "the requirements are still moving, or you need finer control over the details",
    "you want the most predictable behaviour with the least tuning",
    "you expect to grow quickly and can invest a little more effort up front",
    "the team already knows it well and the workload is modest",
    "the workload is large or unusual enough that the extra control pays off",
)
_COMPARE_SENTENCES = (
    "Neither {a} nor {b} is the right choice everywhere; each makes a different trade-off.",
    "The fairest comparison uses the same realistic workload for both, rather than each one's best case.",
    "It is common to start with one and add the other later, once the need is clear.",
    "Switching later is possible but rarely free, so it pays to think about the likely direction of growth.",
    "If you are unsure, try both on a small, realistic example; the difference usually shows quickly.",
    "Much of the debate about {a} and {b} comes from people with different workloads talking past each other.",
)
_ASPECTS_TECH = (
    ("Setup effort", ("Low", "Moderate", "Higher")), ("Latency", ("Lower", "Similar", "Higher")),
    ("Cost at small scale", ("Low", "Moderate", "Higher")), ("Flexibility", ("Limited", "Good", "High")),
    ("Operational burden", ("Light", "Moderate", "Heavier")), ("Learning curve", ("Gentle", "Moderate", "Steep")),
    ("Ecosystem", ("Mature", "Growing", "Broad")),
)
_ASPECTS_GENERAL = (
    ("Main strength", ("Simplicity", "Flexibility", "Depth")), ("Main limitation", ("Less control", "More effort",
                                                                                    "Narrower scope")),
    ("Learning curve", ("Gentle", "Moderate", "Steep")), ("Cost", ("Low", "Moderate", "Higher")),
    ("Time to results", ("Quick", "Moderate", "Slower")),
)
_RATINGS_NOTE = ("The ratings are illustrative, since this answer is emulated; check them against your own "
                 "workload before relying on them.")
_BEST_FOR = ("Simple, well-understood cases", "Growing or changing needs", "Teams that want control",
             "Getting started quickly", "Large or unusual workloads")
_TOPIC_ROWS = (
    ("Purpose", "The problem {t} {is} meant to solve", "Everything else follows from it"),
    ("Key idea", "The one principle worth remembering", "Makes the details easier to place"),
    ("Typical use", "Where it shows up most often", "Helps you recognise it in practice"),
    ("Main benefit", "What you gain by using it", "The reason to choose it"),
    ("Main cost", "What you give up in return", "Often overlooked at the start"),
    ("Common pitfall", "The mistake people make first", "Cheap to avoid once you know it"),
    ("Getting started", "A small, concrete first example", "Builds intuition quickly"),
)
_PROS = ("Saves time once it is in place", "Makes results more consistent", "Scales with little extra effort",
         "Widely used, so help is easy to find", "Easy to explain to others", "Reduces repetitive manual work")
_CONS = ("Takes time to learn well", "Adds another moving part", "Costs more at small scale",
         "Can be overkill for simple cases", "Needs ongoing maintenance", "Harder to change later")
_LIST_ITEMS: dict[str, tuple[tuple[str, str], ...]] = {
    "advice": (
        ("Start with a measurement", "Know where you stand before changing anything, so you can tell what helped."),
        ("Fix the biggest problem first", "One large improvement is usually worth more than many small ones."),
        ("Keep it simple", "The simplest approach that works is the easiest to maintain and to explain."),
        ("Make small, reversible changes", "They are easier to test and cheap to undo."),
        ("Automate what you repeat", "A script does the same thing every time; a person on a busy day may not."),
        ("Write down what you learn", "A short note saves the next person from repeating the same experiments."),
        ("Ask the people affected", "They often know where the real problems are before any metric does."),
        ("Review it regularly", "What worked last year may not fit today's needs."),
    ),
    "pros": (
        ("It saves time", "Once it is in place, the same work takes less effort every time."),
        ("It makes results consistent", "The same input gives the same outcome, which makes problems easier to spot."),
        ("It scales well", "It keeps working as the volume grows, with little extra effort."),
        ("It is well understood", "Plenty of people have used it, so help and examples are easy to find."),
        ("It clarifies the important parts", "It makes explicit what would otherwise stay implicit."),
        ("It reduces risk", "Problems show up earlier, when they are cheaper to fix."),
    ),
    "cons": (
        ("Underestimating the effort", "The first version is quick; the details take longer than expected."),
        ("Adding complexity too early", "Extra moving parts cost time long before they pay for themselves."),
        ("Ignoring the edge cases", "Unusual inputs and failures are where most real problems appear."),
        ("Skipping the measurement", "Without a baseline it is impossible to tell whether a change helped."),
        ("Following a recipe blindly", "What worked elsewhere may not fit your situation."),
        ("Letting it drift", "Without occasional review, small problems add up quietly."),
    ),
    "options": (
        ("The simplest option that works", "Often the one already in use, and the benchmark for the others."),
        ("A widely used standard choice", "Well documented and well supported, if not always the most exciting."),
        ("A managed service", "Less to operate yourself, at the price of less control and a recurring bill."),
        ("A specialised tool", "Excellent at one job, and worth it when that job is the main one."),
        ("Building it yourself", "Full control, and full responsibility for keeping it running."),
    ),
    "consider": (
        ("Your main use", "Be clear about what you need most, because it decides most of the rest."),
        ("Budget", "Decide on a range first, including the extras that are easy to forget."),
        ("The long term", "Think about how your needs may change over the next few years."),
        ("The trade-offs", "Every option gives something up; pick the compromise you can live with."),
        ("Other people's experience", "People with similar needs are a better guide than a list of specifications."),
        ("Upkeep", "Check what it takes to maintain, repair or replace later."),
    ),
    "general": (
        ("Start with what matters most", "Decide on the one thing that must go well, and plan around it."),
        ("Keep it simple", "A simple plan is easier to follow and easier to change."),
        ("Plan a little ahead", "A few minutes of preparation saves a lot of improvising later."),
        ("Ask the people involved", "They often have ideas and constraints you would not think of."),
        ("Leave room for surprises", "Not everything will go to plan, and that is often where the fun is."),
        ("Learn from last time", "Note what worked and what did not, so the next one is easier."),
    ),
    "points": (
        ("Purpose", "Be clear about what {t} {is} for before going into the details."),
        ("Context", "The right approach depends on scale, audience and constraints."),
        ("Trade-offs", "Every choice gives something up, so make the trade deliberately."),
        ("Examples", "A worked example teaches more than a definition."),
        ("Pitfalls", "The common mistakes are well known and cheap to avoid."),
        ("Next steps", "Start small, check the result, and build from there."),
    ),
}
_LIST_KIND = {
    "ways": "advice", "tips": "advice", "strategies": "advice", "techniques": "advice", "practices": "advice",
    "best practices": "advice", "habits": "advice", "ideas": "advice", "rules": "advice", "principles": "advice",
    "lessons": "advice", "methods": "advice", "approaches": "advice", "considerations": "points",
    "factors": "points", "benefits": "pros", "advantages": "pros", "reasons": "pros", "uses": "pros",
    "use cases": "pros", "features": "pros", "disadvantages": "cons", "drawbacks": "cons", "risks": "cons",
    "pitfalls": "cons", "mistakes": "cons", "challenges": "cons", "signs": "cons", "causes": "cons",
    "options": "options", "alternatives": "options", "tools": "options", "resources": "options",
    "consider": "consider",
}
_REVIEW_BANKS: dict[str, tuple[str, ...]] = {
    "strength": (
        "The main decisions are stated together with their reasons, which makes them easy to revisit.",
        "The trade-offs are explicit rather than hidden, so a reader can judge them for themselves.",
        "The failure paths are considered up front instead of being left for later.",
        "The approach to {k} is clear and proportionate to the problem.",
        "Operations are part of the design, with measurements that match what users notice.",
    ),
    "risk": (
        "The handling of {k} depends on assumptions that are not written down; they deserve a line each.",
        "Some of the limits are described in words but not in numbers, which makes them hard to test.",
        "A single component carries a lot of responsibility, and its failure mode could be spelled out.",
        "The open questions are real, and leaving them open for long will make them harder to settle.",
        "Cost and capacity are planned from past peaks, which may not hold if usage changes shape.",
    ),
    "change": (
        "Add a short section on {k}, with the numbers that would trigger a redesign.",
        "Turn the open questions into decisions with owners and dates.",
        "Write down the expected behaviour under failure for each component, and test it regularly.",
        "Define a small set of measurable targets and review them after each release.",
        "Simplify wherever two mechanisms do the same job.",
    ),
    "other": (
        "The document covers {k} in enough detail to act on.",
        "The reasoning is easy to follow, and the conclusions match it.",
        "A few sections would benefit from a concrete example.",
        "The structure makes it easy to find the part you need.",
    ),
}
_RUNBOOK_STEPS = (
    "Acknowledge the alert and note the time, so the timeline starts at the right moment.",
    "Check the main dashboards: error rate, latency and throughput, compared with the same hour last week.",
    "Look at recent changes: deployments, feature flags and configuration.",
    "If a recent change lines up with the problem, roll it back first and investigate afterwards.",
    "Check the dependencies the service relies on, and their status pages.",
    "If the service is overloaded, scale out or shed load, and say so in the incident channel.",
    "Keep a timeline of what you saw and did, for the review afterwards.",
)
_PLAN_SECTIONS = (
    ("Summary", ("This is a short draft of {t}: what it covers, why it matters and what happens next.",
                 "It is written to be read in a few minutes and to be easy to comment on.")),
    ("Background", ("The starting point is the situation today and the problem it creates.",
                    "A little context up front saves questions later.")),
    ("Details", ("The main proposal fits in a paragraph; the rest of this section covers the choices behind it.",
                 "Each choice is stated with its reason, so it can be revisited if the reason changes.")),
    ("Risks and open questions", ("Every plan has weak spots, and naming them early makes them cheaper to address.",
                                  "The open questions are listed with the person best placed to answer each.")),
    ("Next steps", ("The first step is small and reversible, so the plan can be tested before it is committed to.",
                    "A short review after the first milestone keeps it on track.")),
)
_DOC_SECTIONS = (
    ("Purpose", ("This document describes {t} and who should use it.",
                 "It is meant to be read before you need it, and followed step by step when you do.")),
    ("Before you start", ("Make sure you have access to the dashboards, the logs and the deployment tools.",
                          "Check the current state first, so you know what normal looks like.")),
    ("Steps", ()),
    ("Checks", ("Confirm that the error rate and the lag are back to their usual levels.",
                "Watch the system for a while before you close the incident.")),
    ("Escalation", ("If the steps do not help within thirty minutes, escalate to the owning team.",
                    "Write a short summary of what happened and what you tried.")),
)
_DEBUG_STEPS = (
    ("Reproduce it reliably", "Find the smallest input or request that triggers the problem, so you can tell when it "
                              "is fixed."),
    ("Read the exact error", "The full message and the first lines of the stack trace usually point at the cause."),
    ("Check what changed", "A recent deployment, configuration change or dependency update is the most common "
                           "culprit."),
    ("Look at the limits", "Timeouts, memory, connection pools and rate limits fail in ways that look like bugs."),
    ("Add logging around the slow or failing step", "Timestamps before and after each call show where the time "
                                                   "goes."),
    ("Test the fix in isolation", "Confirm the problem is gone with the same input that triggered it, then watch it "
                                  "for a while."),
)
_TROUBLE_SENTENCES = (
    "Problems like this usually have a short list of causes, so it pays to check them in order.",
    "The good news is that this kind of problem is usually easy to narrow down once you can reproduce it.",
    "Before changing anything, it is worth collecting the facts, because the first guess is often wrong.",
)
_VERSES = (
    "I went looking for {t} at dawn,\nwhen the light was thin and new,\nand found it waiting, patient, calm,\n"
    "as if it always knew.",
    "There is a kind of quiet in {t},\na rhythm under every sound,\nthe way a tide returns at night\n"
    "to the same familiar ground.",
    "Some say {t} is only weather,\nsome say it is a song;\nI only know it stays with me\n"
    "when the day is long.",
    "I keep a little of {t}\nin a pocket by my heart,\nfor the grey and heavy mornings\nwhen things fall apart.",
    "And when the evening gathers\nand the colours start to fade,\n{t} is still there, unhurried,\n"
    "in the shapes the shadows made.",
    "So here is to {t}, then,\nto the small and to the vast,\nto the things we cannot hold for long\n"
    "and the things that last.",
)
_HAIKU = (
    "Morning, and {t}\nholds the light the way water\nholds a falling leaf",
    "Quiet as {t},\nthe afternoon leans closer\nand forgets the time",
)
_STORY = (
    "Nobody in the village talked about {t} until the spring the river came up over the road.",
    "Mara, who ran the bakery, was the first to notice that something had changed.",
    "She said nothing at first; she simply watched, and took notes in the margins of her order book.",
    "By midsummer she had a theory, and by autumn she had convinced exactly one other person, which, she said, "
    "was one more than she needed.",
    "What they found together is a longer story, but it began the way most good stories do: with someone paying "
    "attention.",
)
_CLOSINGS = (
    "If you tell me more about your situation, I can make this more specific.",
    "Happy to go deeper on any of these points.",
    "Let me know which part you would like to explore further.",
    "If it helps, I can turn this into a checklist or add an example.",
)
_SUMMARY_CLOSINGS = (
    "In short: start with the big picture, and the details will fall into place.",
    "The short version: get the outline of {t} clear first, then add detail where you need it.",
    "To sum up, a clear outline and one or two good examples will take you most of the way.",
)
_PRACTICAL_CLOSINGS = (
    "In short: start with the purpose, keep it simple, and check the result against real examples.",
    "To sum up, the right approach depends on your situation, and a small experiment is the fastest way to find it.",
)
_CODE_CLOSINGS = (
    "If you share the surrounding code, I can adapt this to fit it.",
    "Happy to add tests or error handling if you need them.",
    "Let me know if you want a version in another language.",
)
_TECH_CLOSINGS = (
    "In short: start simple, measure, and change one thing at a time.",
    "The short version: measure first, keep the design simple, and plan for failure.",
)
_GREETING_SENTENCES = (
    "Ask me anything and the answer will stream in at {model}'s usual pace, so you can see how it feels.",
    "A longer question makes a longer answer, which shows the difference streaming makes.",
    "You can also ask for a length, such as 300 words, to try a long generation.",
    "Everything here runs locally: no AWS account is needed and nothing is billed.",
    "Try asking for a table, a list of steps or a short Python function to see how markdown streams.",
)


# -- code -----------------------------------------------------------------------------------------------

def _identifier(purpose: str, style: str) -> str:
    """A function name from the purpose: "that reverses a string" -> reverse_string / reverseString."""
    words: list[str] = [w.lower() for w in re.findall(r"[A-Za-z][A-Za-z0-9]*", purpose)]
    skip = _DETERMINERS | _words("that which to for of in using with from who can will function method class "
                                 "script program component")
    while words and words[0] in skip:
        words.pop(0)
    if words:
        first = words[0]
        words[0] = _ungerund(first) if first.endswith("ing") else _verb_base(first)
    particle = words[1:2] if len(words) > 1 and words[1] in _PARTICLES else []
    words = words[:1] + particle + [w for w in words[1 + len(particle):] if w not in _STOP and w not in _DETERMINERS
                                    and w not in ("function", "script", "program", "component")]
    words = words[:4] if particle else words[:3]
    if not words or not words[0].isascii():
        words = ["process", "items"]
    if len(words) == 1 and words[0] not in _VERBS:
        words = ["process", words[0]]
    if style == "camel":
        return words[0] + "".join(w.capitalize() for w in words[1:])
    if style == "pascal":
        return "".join(w.capitalize() for w in words)
    return "_".join(words)


_KNOWN_PY = (
    (re.compile(r"revers\w*.*\bstring|\bstring.*revers", re.I), "reverse_string", (
        'def reverse_string(text: str) -> str:\n    """Return `text` with its characters in reverse order."""\n'
        '    return text[::-1]\n\n\nif __name__ == "__main__":\n    print(reverse_string("streaming"))  # gnimaerts')),
    (re.compile(r"recursi", re.I), "factorial", (
        'def factorial(n: int) -> int:\n    """Return n! recursively: each call handles one number and hands on the '
        'rest."""\n    if n <= 1:\n        return 1  # the base case stops the recursion\n'
        '    return n * factorial(n - 1)\n\n\nif __name__ == "__main__":\n    print(factorial(5))  # 120')),
    (re.compile(r"fibonacci", re.I), "fibonacci", (
        'def fibonacci(n: int) -> list[int]:\n    """Return the first `n` Fibonacci numbers."""\n'
        '    if n < 0:\n        raise ValueError("n must be zero or more")\n    numbers: list[int] = []\n'
        '    a, b = 0, 1\n    for _ in range(n):\n        numbers.append(a)\n        a, b = b, a + b\n'
        '    return numbers\n\n\nif __name__ == "__main__":\n'
        '    print(fibonacci(10))  # [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]')),
    (re.compile(r"factorial", re.I), "factorial", (
        'def factorial(n: int) -> int:\n    """Return n! for a non-negative integer `n`."""\n    if n < 0:\n'
        '        raise ValueError("n must be zero or more")\n    result = 1\n    for i in range(2, n + 1):\n'
        '        result *= i\n    return result\n\n\nif __name__ == "__main__":\n    print(factorial(5))  # 120')),
    (re.compile(r"\bprimes?\b", re.I), "is_prime", (
        'def is_prime(n: int) -> bool:\n    """Return True if `n` is a prime number."""\n    if n < 2:\n'
        '        return False\n    i = 2\n    while i * i <= n:\n        if n % i == 0:\n            return False\n'
        '        i += 1\n    return True\n\n\nif __name__ == "__main__":\n'
        '    print([n for n in range(20) if is_prime(n)])  # [2, 3, 5, 7, 11, 13, 17, 19]')),
    (re.compile(r"binary search", re.I), "binary_search", (
        'def binary_search(items: list[int], target: int) -> int:\n    """Return the index of `target` in the sorted '
        'list `items`, or -1."""\n    low, high = 0, len(items) - 1\n    while low <= high:\n'
        '        middle = (low + high) // 2\n        if items[middle] == target:\n            return middle\n'
        '        if items[middle] < target:\n            low = middle + 1\n        else:\n'
        '            high = middle - 1\n'
        '    return -1\n\n\nif __name__ == "__main__":\n    print(binary_search([1, 3, 5, 7, 9], 7))  # 3')),
    (re.compile(r"palindrome", re.I), "is_palindrome", (
        'def is_palindrome(text: str) -> bool:\n    """Return True if `text` reads the same both ways, ignoring case '
        'and spaces."""\n    letters = [c.lower() for c in text if c.isalnum()]\n'
        '    return letters == letters[::-1]\n\n\n'
        'if __name__ == "__main__":\n    print(is_palindrome("A man, a plan, a canal: Panama"))  # True')),
)
_KNOWN_JS = (
    (re.compile(r"recursi", re.I), "factorial", (
        "function factorial(n) {\n  if (n <= 1) return 1; // the base case stops the recursion\n"
        "  return n * factorial(n - 1);\n}\n\nconsole.log(factorial(5)); // 120")),
    (re.compile(r"revers\w*.*\bstring|\bstring.*revers", re.I), "reverseString", (
        "function reverseString(text) {\n  // Spread first, so characters outside the BMP stay whole.\n"
        "  return [...text].reverse().join(\"\");\n}\n\nconsole.log(reverseString(\"streaming\")); // gnimaerts")),
    (re.compile(r"fibonacci", re.I), "fibonacci", (
        "function fibonacci(n) {\n  const numbers = [];\n  let [a, b] = [0, 1];\n  for (let i = 0; i < n; i++) {\n"
        "    numbers.push(a);\n    [a, b] = [b, a + b];\n  }\n  return numbers;\n}\n\n"
        "console.log(fibonacci(10)); // [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]")),
    (re.compile(r"binary search", re.I), "binarySearch", (
        "function binarySearch(items, target) {\n  let low = 0;\n  let high = items.length - 1;\n"
        "  while (low <= high) {\n    const middle = Math.floor((low + high) / 2);\n"
        "    if (items[middle] === target) return middle;\n    if (items[middle] < target) low = middle + 1;\n"
        "    else high = middle - 1;\n  }\n  return -1;\n}\n\nconsole.log(binarySearch([1, 3, 5, 7, 9], 7)); // 3")),
    (re.compile(r"debounce", re.I), "debounce", (
        "function debounce(fn, waitMs) {\n  let timer;\n  return (...args) => {\n    clearTimeout(timer);\n"
        "    timer = setTimeout(() => fn(...args), waitMs);\n  };\n}\n\n"
        "const onResize = debounce(() => console.log(\"resized\"), 200);\nwindow.addEventListener(\"resize\", "
        "onResize);")),
)


def _code_block(reading: Reading, lang: str, react: bool = False) -> tuple[str, str, bool]:
    """(name, source, known) of an example for the request: a known small task, or a typical skeleton."""
    purpose = reading.purpose or "process items"
    summary = _cap(_trim(re.sub(r"^(?:that|which|to|for|of)\s+", "", purpose, flags=re.I), 12)) or "Process items"
    summary = summary.replace('"', "'")
    known = _KNOWN_PY if lang == "python" else _KNOWN_JS if lang in ("javascript", "typescript") else ()
    if react:
        listed = re.search(r"\blist of (\w+)", purpose, re.IGNORECASE)
        noun = listed.group(1).lower() if listed else ""
        noun = noun[:-1] if noun.endswith("s") and not noun.endswith("ss") else noun
        name = noun.capitalize() + "List" if noun.isascii() and noun.isalpha() else _identifier(purpose, "pascal")
        name = name if name[:1].isupper() else "ItemList"
        props = "{ items }: { items: { id: string; name: string }[] }" if lang == "typescript" else "{ items }"
        return name, (
            f"// {summary}.\n// This is an emulated sketch: the structure is typical, adapt the fields to your data.\n"
            f"export function {name}({props}) {{\n  if (items.length === 0) {{\n"
            f"    return <p>Nothing to show yet.</p>;\n"
            "  }\n  return (\n    <ul>\n      {items.map((item) => (\n        <li key={item.id}>{item.name}</li>\n"
            "      ))}\n    </ul>\n  );\n}"), False
    if reading.artifact in ("test", "unit test") and lang == "python":
        name = _identifier(purpose, "snake")
        if re.search(r"\badd(?:s|ing)?\b.*\bnumbers?\b", purpose, re.IGNORECASE):
            return "add", (
                "import pytest\n\n\ndef add(a: float, b: float) -> float:\n    return a + b\n\n\n"
                "def test_add_returns_the_sum() -> None:\n    assert add(2, 3) == 5\n\n\n"
                "def test_add_handles_negative_numbers() -> None:\n    assert add(-2, 3) == 1\n\n\n"
                "def test_add_works_with_floats() -> None:\n    assert add(0.1, 0.2) == pytest.approx(0.3)"), True
        return name, (
            f"from example import {name}  # the function under test\n\n\n"
            f"def test_{name}_handles_a_typical_input() -> None:\n"
            f"    assert {name}([\"first\", \"second\"]) == [\"first\", \"second\"]\n\n\n"
            f"def test_{name}_skips_empty_input() -> None:\n    assert {name}([\"\", \" \"]) == []"), False
    for pattern, name, source in known:
        if pattern.search(purpose):
            if lang == "typescript":
                source = source.replace("function reverseString(text)", "function reverseString(text: string): string")
                source = source.replace("function fibonacci(n)", "function fibonacci(n: number): number[]")
                source = source.replace("const numbers = [];", "const numbers: number[] = [];")
                source = source.replace("function debounce(fn, waitMs)",
                                        "function debounce<A extends unknown[]>(fn: (...args: A) => void, "
                                        "waitMs: number)")
                source = source.replace("let timer;", "let timer: ReturnType<typeof setTimeout> | undefined;")
                source = source.replace("(...args) =>", "(...args: A) =>")
                source = source.replace("function binarySearch(items, target)",
                                        "function binarySearch(items: number[], target: number): number")
            return name, source, True
    note = "an emulated sketch: the structure is typical, the body is a placeholder to adapt"
    if lang == "python":
        name = _identifier(purpose, "snake")
        return name, (
            f'def {name}(items: list[str]) -> list[str]:\n    """{summary}.\n\n    This is {note}.\n    """\n'
            '    results: list[str] = []\n    for item in items:\n        if not item.strip():\n'
            '            continue  # skip empty input instead of failing on it\n        results.append(item.strip())\n'
            f'    return results\n\n\nif __name__ == "__main__":\n    print({name}(["first", " ", "second"]))'), False
    if lang in ("javascript", "typescript"):
        name = _identifier(purpose, "camel")
        signature = f"function {name}(items: string[]): string[]" if lang == "typescript" else f"function {name}(items)"
        return name, (
            f"/**\n * {summary}.\n * This is {note}.\n */\n{signature} {{\n  return items\n"
            "    .map((item) => item.trim())\n    .filter((item) => item.length > 0); // skip empty input\n}\n\n"
            f"console.log({name}([\"first\", \" \", \"second\"]));"), False
    if lang == "go":
        name = _identifier(purpose, "camel")
        return name, (
            f"package main\n\nimport (\n\t\"fmt\"\n\t\"strings\"\n)\n\n"
            f"// {name}: {summary[:1].lower() + summary[1:]}.\n"
            f"// This is {note}.\nfunc {name}(items []string) []string {{\n\tresults := make([]string, 0, len(items))\n"
            "\tfor _, item := range items {\n\t\titem = strings.TrimSpace(item)\n\t\tif item == \"\" {\n"
            "\t\t\tcontinue // skip empty input instead of failing on it\n\t\t}\n\t\tresults = append(results, item)\n"
            f"\t}}\n\treturn results\n}}\n\nfunc main() {{\n"
            f"\tfmt.Println({name}([]string{{\"first\", \" \", \"second\"}}))\n}}"), False
    if lang == "rust":
        name = _identifier(purpose, "snake")
        return name, (
            f"/// {summary}.\n///\n/// This is {note}.\nfn {name}(items: &[&str]) -> Vec<String> {{\n    items\n"
            "        .iter()\n        .map(|item| item.trim())\n"
            "        .filter(|item| !item.is_empty()) // skip empty input\n"
            "        .map(String::from)\n        .collect()\n}\n\nfn main() {\n"
            f"    println!(\"{{:?}}\", {name}(&[\"first\", \" \", \"second\"]));\n}}"), False
    if lang == "java":
        name = _identifier(purpose, "camel")
        return name, (
            "import java.util.List;\n\npublic final class Example {\n    /**\n"
            f"     * {summary}.\n     * This is {note}.\n     */\n"
            f"    static List<String> {name}(List<String> items) {{\n"
            "        return items.stream()\n            .map(String::strip)\n"
            "            .filter(item -> !item.isEmpty())\n"
            "            .toList();\n    }\n\n    public static void main(String[] args) {\n"
            f"        System.out.println({name}(List.of(\"first\", \" \", \"second\")));\n    }}\n}}"), False
    if lang == "csharp":
        name = _identifier(purpose, "pascal")
        return name, (
            "using System;\nusing System.Collections.Generic;\nusing System.Linq;\n\npublic static class Example\n{\n"
            f"    /// <summary>{summary}. This is {note}.</summary>\n"
            f"    public static List<string> {name}(IEnumerable<string> items) =>\n"
            "        items.Select(item => item.Trim()).Where(item => item.Length > 0).ToList();\n\n"
            "    public static void Main()\n    {\n"
            f"        Console.WriteLine(string.Join(\", \", {name}(new[] {{ \"first\", \" \", \"second\" }})));\n"
            f"    }}\n}}"), False
    if lang == "sql":
        nouns = [w for w in re.findall(r"[A-Za-z]+", purpose.lower()) if w.endswith("s") and w not in _STOP
                 and not _is_verb(w) and len(w) > 3]
        table = nouns[0] if nouns else "orders"
        limit = re.search(r"\b(\d{1,3})\b", purpose)
        return table, (
            f"-- {summary}.\n-- This is an emulated sketch: adjust the table and column names to your schema.\n"
            f"SELECT id, name, created_at\nFROM {table}\nWHERE created_at >= CURRENT_DATE - INTERVAL '30 days'\n"
            f"ORDER BY created_at DESC\nLIMIT {limit.group(1) if limit else 10};"), False
    if lang == "ruby":
        name = _identifier(purpose, "snake")
        return name, (
            f"# {summary}.\n# This is {note}.\ndef {name}(items)\n  items.map(&:strip).reject(&:empty?)\nend\n\n"
            f"p {name}([\"first\", \" \", \"second\"])"), False
    name = _identifier(purpose, "snake")  # bash
    return name, (
        f"#!/usr/bin/env bash\n# {summary}.\n# This is {note}.\nset -euo pipefail\n\n{name}() {{\n"
        "  local dir=\"${1:-.}\"\n  for file in \"$dir\"/*; do\n    [ -f \"$file\" ] || continue  # skip directories\n"
        f"    echo \"processing $file\"\n  done\n}}\n\n{name} \"$@\""), False


_RUN_HINTS = {
    "python": "Save it as `example.py` and run `python example.py` to see the output.",
    "javascript": "Run it with `node example.js`, or paste it into a browser console.",
    "typescript": "Run it with `npx tsx example.ts`, or compile it with `tsc` first.",
    "go": "Save it as `main.go` and run `go run main.go`.",
    "rust": "Put it in `src/main.rs` of a new Cargo project and run `cargo run`.",
    "java": "Save it as `Example.java` and run `java Example.java` (Java 17 or later).",
    "csharp": "Put it in a new console project and run `dotnet run`.",
    "sql": "Run it in your database client; check the plan with `EXPLAIN` if the table is large.",
    "bash": "Save it as `example.sh`, make it executable with `chmod +x example.sh`, and pass a folder to it.",
    "ruby": "Save it as `example.rb` and run `ruby example.rb`.",
    "pytest": "Save it as `test_example.py` and run `pytest` in the same folder.",
    "react": "Drop it into a React project and render it with a list of items, for example from a fetch call.",
}
_REACT_NOTES = (
    "An empty list gets a short message instead of a blank space.",
    "Each item needs a stable `key`, here its `id`, so React can update the list efficiently.",
    "The component only renders; fetching the data belongs in its parent or in a hook.",
)
_SQL_NOTES = (
    "An index on `created_at` keeps it fast on a large table.",
    "Check the column names against your schema before running it; they are the usual ones, not yours.",
    "Interval syntax differs a little between databases, so adjust that line for yours.",
)
_KNOWN_NOTES = (
    "The example at the bottom shows the expected output, so you can check the behaviour at a glance.",
    "It has no dependencies beyond the standard library, so it runs anywhere the language does.",
    "A couple of unit tests for the edge cases (empty input, a single item, large values) would be a good next "
    "step.",
    "Names are chosen to say what the code does, so the comments can focus on why.",
)
_CODE_NOTES = (
    "Empty or blank input is skipped rather than treated as an error, which is usually what you want at the "
    "edges of a program.",
    "The example at the bottom shows the expected output, so you can check the behaviour at a glance.",
    "It has no dependencies beyond the standard library, so it runs anywhere the language does.",
    "A couple of unit tests for the edge cases (empty input, a single item, unusual characters) would be a good "
    "next step.",
    "If performance matters, measure with realistic input sizes before optimising anything.",
    "Names are chosen to say what the code does, so the comments can focus on why.",
)


# -- writing ----------------------------------------------------------------------------------------------

class _Full(Exception):
    """The answer reached its token limit: stop composing."""


class _Writer:
    """Collects the answer's text and counts its tokens, stopping at `limit` so cut answers are prefixes."""

    def __init__(self, limit: int) -> None:
        self.parts: list[str] = []
        self.used = 0
        self.limit = limit

    def write(self, text: str) -> None:
        self.parts.append(text)
        self.used += count_tokens(text)
        if self.used >= self.limit:
            raise _Full

    def text(self) -> str:
        return "".join(self.parts)


class _Deck:
    """Deals templates in a seeded order (or in their own order), every one once before any repeats."""

    def __init__(self, items: Sequence[str], rng: random.Random, ordered: bool = False) -> None:
        self.items, self.rng, self.ordered = tuple(items), rng, ordered
        self.cards: list[str] = []
        self.last = ""

    def left(self) -> int:
        return len(self.cards)

    def deal(self) -> str:
        if not self.cards:
            self.cards = list(reversed(self.items)) if self.ordered else self.rng.sample(self.items, k=len(self.items))
            if len(self.cards) > 1 and self.cards[-1] == self.last:  # no sentence twice in a row across shuffles
                self.cards[0], self.cards[-1] = self.cards[-1], self.cards[0]
        self.last = self.cards.pop()
        return self.last


_FORM_WORDS = _words("question answer help idea essay poem haiku story table list function code script steps step "
                     "summary overview article paragraph explanation query program class example examples words "
                     "tokens sentence sentences bullet bullets detail details difference differences comparison "
                     "pros cons benefits advantages disadvantages drawbacks ideas tips ways reasons trade-offs "
                     "summarize summarise column columns row rows")


def _side_keywords(reading: Reading) -> list[str]:
    """Other phrases of the prompt worth a sentence: not the topic, an item, the audience or a stray word."""
    taken = " ".join((reading.topic, reading.context, reading.clause, *reading.items)).lower()
    out = []
    for keyword in reading.keywords:
        k = _clean(keyword)
        lower = k.lower()
        if (len(k) < 3 or lower in taken or lower in _ADJECTIVES or lower in _PEOPLE or _language(k)
                or any(w in _FORM_WORDS for w in lower.split()) or (" " not in k and lower.endswith("ing"))):
            continue
        out.append(k)
    return out


def _slots(model_name: str, reading: Reading) -> dict[str, str]:
    topic = _clean(reading.topic) or "this"
    plural = reading.plural
    items = tuple(_clean(i) for i in reading.items) or ("the first option", "the second option")
    keywords = _side_keywords(reading)
    task = _clean(reading.task) or f"work with {topic}"
    words = task.split()
    task_ing = _gerund(_verb_base(words[0])) + (" " + " ".join(words[1:]) if len(words) > 1 else "")
    k = keywords[0] if keywords else ""
    return {
        "t": topic, "T": _cap(topic), "is": "are" if plural else "is", "s": "" if plural else "s",
        "it": "they" if plural else "it", "It": "They" if plural else "It", "its": "their" if plural else "its",
        "them": "them" if plural else "it", "does": "do" if plural else "does", "has": "have" if plural else "has",
        "a": items[0], "A": _cap(items[0]), "b": items[1], "B": _cap(items[1]), "task": task, "task_ing": task_ing,
        "Task_ing": _cap(task_ing), "clause": _clean(reading.clause), "Clause": _cap(_clean(reading.clause)),
        "ctx": _clean(reading.context), "k": k, "K": _cap(k), "model": model_name,
        "lang": _LANGUAGES.get(reading.lang, ("Python", "python"))[0],
    }


def _fill(template: str, slots: dict[str, str]) -> str:
    return template.format_map(slots)


class _Composer:
    """One answer: the plan comes from the natural length, the writer stops at the request's limit."""

    def __init__(self, model_name: str, reading: Reading, style: Style, length: int, rng: random.Random,
                 writer: _Writer) -> None:
        self.reading, self.style, self.length, self.rng, self.w = reading, style, length, rng, writer
        self.slots = _slots(model_name, reading)
        practical = reading.kind in ("steps", "decide", "list", "review", "document", "troubleshoot", "compare",
                                     "table", "yesno")
        themes: tuple[str, ...] = (_TECH_THEMES if reading.tech else _PRACTICAL_THEMES if practical
                                   else _GENERAL_THEMES)
        if reading.kind in ("review", "document"):
            themes = ("design", "operate", "measure", "tradeoffs") if reading.tech else ("practice", "tradeoffs")
        if reading.kind == "person":
            themes = ("profile", "background", "learning")
        if reading.llm:
            themes = (*themes[:2], "latency", *themes[2:])
        self.themes = list(themes)
        self.decks = {name: _Deck(_THEMES[name][1], rng, ordered=name == "example") for name in themes}
        self.keyword_deck = _Deck(_KEYWORD_SENTENCES, rng)
        self.side = _side_keywords(reading)[:2]
        self.md = not style.plain
        self.points_shown = False
        self.reserve = 0 if _LENGTH_HINT.search(reading.request) else 30  # a length asked for is a floor

    # small pieces

    def fill(self, template: str) -> str:
        return _fill(template, self.slots)

    def sentence(self, theme: str, join: bool = True) -> str:
        if self.side and self.rng.random() < 0.12:
            k = self.side.pop(0)
            return _fill(self.keyword_deck.deal(), {**self.slots, "k": k, "K": _cap(k)})
        text = self.fill(self.decks[theme].deal())
        first = text.split(" ", 1)[0]
        if join and first in _JOINABLE and self.rng.random() < 0.15:
            connective = self.rng.choice(_CONNECTIVES)
            if not text.startswith(connective.split(",")[0]):
                text = connective + text[0].lower() + text[1:] if not text[1:2].isupper() else connective + text
        return text

    def paragraph(self, theme: str, sentences: int) -> None:
        if self.decks[theme].left():
            sentences = min(sentences, self.decks[theme].left())
        out = [self.sentence(theme, join=i > 0) for i in range(sentences)]
        self.w.write("\n\n" + " ".join(out))

    def bold(self, text: str) -> str:
        return f"**{text}**" if self.md else text

    def bullets(self, lines: Sequence[str], numbered: bool = False) -> None:
        if numbered:
            self.w.write("\n\n" + "\n".join(f"{i}. {line}" for i, line in enumerate(lines, 1)))
        else:
            self.w.write("\n\n" + "\n".join(f"- {line}" for line in lines))

    def heading(self, title: str) -> None:
        self.w.write(f"\n\n## {title}" if self.md else f"\n\n{title}")

    def room(self, reserve: int = 0) -> bool:
        return self.w.used < self.length - reserve

    def closing(self) -> None:
        if self.style.pirate:
            self.w.write("\n\nFair winds, and may your answers stream swiftly.")
            return
        if self.reading.kind == "code":
            self.w.write("\n\n" + self.rng.choice(_CODE_CLOSINGS))
        elif self.rng.random() < 0.5:
            bank = (_TECH_CLOSINGS + _PRACTICAL_CLOSINGS if self.reading.tech else
                    _PRACTICAL_CLOSINGS if "practice" in self.themes else _SUMMARY_CLOSINGS)
            self.w.write("\n\n" + self.fill(self.rng.choice(bank)))
        else:
            self.w.write("\n\n" + self.rng.choice(_CLOSINGS))

    def opener(self, kind: str, extra: dict[str, str] | None = None) -> str:
        text = _fill(self.rng.choice(_OPENERS[kind]), {**self.slots, **(extra or {})})
        return ("Ahoy! " + text) if self.style.pirate else text

    # the body: paragraphs by theme, with headings once the answer is long

    def body(self, start: int = 0) -> None:
        """Paragraphs by theme until the natural length; a long answer gets a heading per theme, then a second
        round of "revisited" sections, then longer sections (a model does not write forty headings)."""
        reserve = self.reserve
        long = self.length > 450 and self.md
        order = self.themes[start:] + self.themes[:start]
        index = 0
        while self.room(reserve):
            theme = order[index % len(order)]
            if long:
                round_ = index // len(order)
                if round_ < 2:
                    self.heading(_THEMES[theme][0] + (", revisited" if round_ else ""))
                for _ in range(self.rng.randint(1, 3)):
                    self.paragraph(theme, self.rng.randint(2, 4))
                    if not self.room(reserve) or not self.decks[theme].left():
                        break
                if self.room(reserve) and not self.points_shown and self.rng.random() < 0.3:
                    self.key_points(self.rng.randint(3, 4))
            else:
                self.paragraph(theme, self.rng.randint(2, 4) if self.length > 120 else 1)
            index += 1

    def key_points(self, n: int) -> None:
        self.points_shown = True
        bank = (_KEY_POINTS + _TECH_POINTS if self.reading.tech else _KEY_POINTS if "practice" in self.themes
                else _KNOWLEDGE_POINTS)
        picks = self.rng.sample(bank, k=min(n, len(bank)))
        self.w.write("\n\n" + self.rng.choice(("The key ideas:", "A few points to keep in mind:",
                                               "Worth remembering:")))
        self.bullets([f"{self.bold(lead + ':')} {self.fill(text)}" if self.md else f"{lead}: {self.fill(text)}"
                      for lead, text in picks])

    # kinds

    def compose(self) -> None:
        kind = self.reading.kind
        getattr(self, "kind_" + kind, self.kind_essay)()

    def kind_greeting(self) -> None:
        self.w.write("Hello! I am an emulated stand-in for a real model, here so you can try the app offline.")
        for sentence in self.rng.sample(_GREETING_SENTENCES, k=len(_GREETING_SENTENCES)):
            if not self.room():
                break
            self.w.write(" " + self.fill(sentence))

    def kind_thanks(self) -> None:
        self.w.write(self.rng.choice(("You're welcome!", "Glad it helped!", "Any time!")))
        self.w.write(" " + self.rng.choice(("Ask another question whenever you like.",
                                            "Let me know if you want to dig into anything else.")))

    def intro(self, kind: str, theme: str = "basics", extra: dict[str, str] | None = None) -> None:
        text = self.opener(kind, extra)
        if self.length > 90:
            text += " " + self.sentence(theme if theme in self.decks else self.themes[0], join=False)
        self.w.write(text)

    def kind_explain(self) -> None:
        reading = self.reading
        if reading.clause.lower().startswith("why"):
            kind = "explain_why"
        elif reading.clause:
            kind = "explain_clause"
        elif reading.artifact == "reasons":
            kind = "explain_reasons"
        elif reading.context.lower().startswith("for "):
            kind = "explain_for"
        else:
            kind = "explain" if reading.tech else "explain_general"
        self.intro(kind, "basics" if self.reading.tech else "outline")
        if reading.lang:
            display, fence = _LANGUAGES[reading.lang]
            name, source, _ = _code_block(replace(reading, purpose="of " + reading.topic), reading.lang)
            self.w.write(f"\n\nHere is a small example in {display}:\n\n```{fence}\n{source}\n```")
        if self.room(40) and self.length > 150 and (self.style.bullets or self.rng.random() < 0.5) and self.md:
            self.key_points(self.rng.randint(3, 4))
        self.body(start=1)
        self.closing()

    def kind_person(self) -> None:
        self.intro("person", "profile")
        self.body()
        self.w.write("\n\nA good next step is a reliable biography, followed by " + self.slots["t"] + "'s own writing "
                     "where it survives.")

    def kind_essay(self) -> None:
        if self.reading.artifact in ("poem", "haiku", "story"):
            self.creative()
            return
        self.intro("essay", "basics" if self.reading.tech else "outline")
        self.body(start=1)
        self.closing()

    def kind_yesno(self) -> None:
        self.intro("yesno", "practice")
        if self.room(40) and self.length > 150 and self.md:
            self.w.write("\n\nThe main things to check:")
            self.bullets([f"{self.bold(q)} {a}" for q, a in self.rng.sample(_CRITERIA, k=3)])
        self.body(start=2)
        self.closing()

    def kind_steps(self) -> None:
        self.intro("steps", "practice")
        allowed = {"any", *(("ops",) if _OPS.search(self.reading.task) else ()),
                   *(("build",) if _BUILD.search(self.reading.task) else ())}
        pool = [s for s in _STEPS if s[2] in allowed]
        n = self.reading.count or (4 if self.length < 150 else self.rng.randint(5, 7))
        n = max(2, min(n, len(pool)))
        picks = sorted(self.rng.sample(range(len(pool)), k=n))
        if 0 not in picks:  # the goal comes first: it carries the task
            picks = [0, *picks[1:]]
        lines = [f"{self.bold(pool[i][0] + '.')} {self.fill(pool[i][1])}" for i in picks]
        self.bullets(lines, numbered=True)
        self.body(start=3)
        self.closing()

    def kind_decide(self) -> None:
        self.intro("decide", "tradeoffs")
        self.w.write("\n\n" + self.rng.choice(("A few questions settle most of it:", "Start with these questions:")))
        self.bullets([f"{self.bold(q)} {a}" for q, a in self.rng.sample(_CRITERIA, k=self.rng.randint(3, 4))])
        fits = self.rng.sample(_FITS, k=2)
        a, b = self.slots["a"], self.slots["b"]
        self.w.write(f"\n\n{self.bold('Choose ' + a)} when {fits[0]}. {self.bold('Choose ' + b)} when {fits[1]}.")
        ctx = self.slots["ctx"]
        if ctx:
            self.w.write(f" {_cap(ctx)}, the deciding factor is usually what the people on the other end notice "
                         "first.")
        if self.room(30):
            self.w.write("\n\n" + " ".join(self.fill(s) for s in self.rng.sample(_COMPARE_SENTENCES, k=2)))
        self.body(start=4)
        self.closing()

    def compare_table(self) -> None:
        items = [_clean(i) for i in self.reading.items] or [self.slots["a"], self.slots["b"]]
        aspects = _ASPECTS_TECH if self.reading.tech else _ASPECTS_GENERAL
        rows = self.rng.sample(aspects, k=min(len(aspects), self.rng.randint(4, 5)))
        lines = ["| Aspect | " + " | ".join(items) + " |", "|---|" + "---|" * len(items)]
        for name, values in rows:
            cells = [values[self.rng.randrange(len(values))] for _ in items]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        best = self.rng.sample(_BEST_FOR, k=len(items)) if len(items) <= len(_BEST_FOR) else list(_BEST_FOR)
        lines.append("| Best for | " + " | ".join(best[: len(items)]) + " |")
        self.w.write("\n\n" + "\n".join(lines))

    def kind_compare(self) -> None:
        self.intro("compare", "tradeoffs")
        if self.md and (self.rng.random() < 0.5 or len(self.reading.items) > 2):
            self.compare_table()
            self.w.write("\n\n" + _RATINGS_NOTE)
        else:
            fits = self.rng.sample(_FITS, k=len(self.reading.items[:4]) or 2)
            self.bullets([f"{self.bold(_cap(_clean(item)) + ':')} a good fit when {fit}."
                          for item, fit in zip(self.reading.items, fits, strict=False)])
        if self.room(30):
            self.w.write("\n\n" + " ".join(self.fill(s) for s in self.rng.sample(_COMPARE_SENTENCES, k=2)))
        self.body(start=5)
        self.w.write("\n\n" + self.bold("Bottom line:") + " " + self.rng.choice((
            "pick the option whose weaknesses you can live with, not the one with the longest feature list.",
            "decide on the two or three criteria that matter most to you, and let them choose.",
            "try both on a small, realistic example before committing.")))

    def kind_table(self) -> None:
        reading = self.reading
        if not self.md:
            self.kind_essay()
            return
        if reading.items:
            self.w.write(self.opener("table_compare"))
            self.compare_table()
            self.w.write("\n\n" + _RATINGS_NOTE)
        else:
            self.w.write(self.opener("table"))
            if reading.columns and len(reading.columns) >= 2:
                columns = [_cap(_clean(c)) for c in reading.columns]
                n = reading.count or self.rng.randint(3, 5)
                lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
                for i in range(1, n + 1):
                    lines.append(f"| Example {i} | " + " | ".join("example value" for _ in columns[1:]) + " |")
                self.w.write("\n\n" + "\n".join(lines))
                self.w.write("\n\nThe values are placeholders: this answer is emulated, so fill in real data before "
                             "using the table.")
            elif "pros and cons" in reading.topic.lower() or re.search(r"\bpros\b", reading.topic, re.I):
                n = reading.count or self.rng.randint(4, 5)
                pros, cons = self.rng.sample(_PROS, k=n), self.rng.sample(_CONS, k=n)
                lines = ["| Pros | Cons |", "|---|---|"] + [f"| {p} | {c} |" for p, c in zip(pros, cons, strict=True)]
                self.w.write("\n\n" + "\n".join(lines))
            else:
                n = reading.count or self.rng.randint(4, 6)
                rows = sorted(self.rng.sample(range(len(_TOPIC_ROWS)), k=min(n, len(_TOPIC_ROWS))))
                lines = ["| Aspect | What to know | Why it matters |", "|---|---|---|"]
                lines += [f"| {_TOPIC_ROWS[i][0]} | {self.fill(_TOPIC_ROWS[i][1])} | {_TOPIC_ROWS[i][2]} |"
                          for i in rows]
                self.w.write("\n\n" + "\n".join(lines))
                self.w.write("\n\nBeing emulated, this table describes " + self.slots["t"] + " in general terms "
                             "rather than listing real data.")
        if self.room(30):
            self.paragraph("practice", 2)
        self.body(start=2)
        self.closing()

    def kind_list(self) -> None:
        reading = self.reading
        head = reading.artifact or "points"
        noun = head.split()[-1] if not head.endswith("pros and cons") else "pros and cons"
        n = reading.count or (3 if self.length < 120 else self.rng.randint(4, 6))
        rest = _clean(reading.purpose)
        if noun == "pros and cons":
            about = " and ".join(_clean(i) for i in reading.items) if reading.items else self.slots["t"]
            self.w.write(("Ahoy! " if self.style.pirate else "") + f"Here are the main pros and cons of {about}.")
            n = min(n, len(_PROS))
            pros, cons = self.rng.sample(_PROS, k=n), self.rng.sample(_CONS, k=n)
            self.w.write("\n\n" + self.bold("Pros"))
            self.bullets(pros)
            self.w.write("\n\n" + self.bold("Cons"))
            self.bullets(cons)
        else:
            number = _NUMBER_WORDS[n] if n < len(_NUMBER_WORDS) else str(n)
            opener = self.opener("list", {"n": number, "head": head, "rest": rest})
            self.w.write(" ".join(opener.replace(" ,", ",").replace(" .", ".").split()))
            kind = "consider" if head == "things to consider" else _LIST_KIND.get(noun, "points")
            if kind == "advice" and not reading.tech:
                kind = "general"
            bank = _LIST_ITEMS[kind]
            picks = self.rng.sample(bank, k=min(n, len(bank)))
            picks += [bank[i % len(bank)] for i in range(n - len(picks))]
            lines = [f"{self.bold(lead + '.')} {self.fill(text)}" for lead, text in picks]
            self.bullets(lines, numbered=self.rng.random() < 0.4)
        self.body(start=2)
        self.closing()

    def kind_troubleshoot(self) -> None:
        self.w.write(self.opener("troubleshoot"))
        if self.length > 90:
            self.w.write(" " + self.rng.choice(_TROUBLE_SENTENCES))
        n = 4 if self.length < 150 else self.rng.randint(5, 6)
        picks = sorted(self.rng.sample(range(len(_DEBUG_STEPS)), k=min(n, len(_DEBUG_STEPS))))
        self.bullets([f"{self.bold(_DEBUG_STEPS[i][0] + '.')} {self.fill(_DEBUG_STEPS[i][1])}" for i in picks],
                     numbered=True)
        self.body(start=4)
        self.closing()

    def creative(self) -> None:
        form = self.reading.artifact
        ahoy = "Ahoy! " if self.style.pirate else ""
        self.w.write(f"{ahoy}Here is {_article(form)} {form} about {self.slots['t']}.")
        if form == "story":
            self.w.write("\n\n" + " ".join(self.fill(s) for s in _STORY))
            self.closing()
            return
        stanzas = 1 if form == "haiku" else max(2, min(6, self.length // 45))
        deck = _Deck(_HAIKU if form == "haiku" else _VERSES, self.rng)
        for _ in range(stanzas):
            self.w.write("\n\n" + "  \n".join(self.fill(deck.deal()).split("\n")))

    def kind_code(self) -> None:
        reading = self.reading
        lang = reading.lang or "python"
        display, fence = _LANGUAGES.get(lang, ("Python", "python"))
        art = reading.artifact
        react = art == "component" and lang in ("javascript", "typescript")
        if react:
            display, fence = "React", "jsx" if lang == "javascript" else "tsx"
        if art in ("code", "implementation", "example", "revised version"):
            art_phrase = {"code": f"{display} code", "implementation": f"{_article(display)} {display} implementation",
                          "example": f"{_article(display)} {display} example",
                          "revised version": "a revised version of the code"}[art]
        else:
            art_phrase = f"{_article(display)} {display} {art}"
        purpose = _clean(reading.purpose)
        if art == "revised version":
            purpose = "with the changes explained below"
        name, source, known = _code_block(reading, lang, react)
        opener = self.opener("code", {"art_phrase": art_phrase, "purpose": purpose})
        self.w.write(" ".join(opener.replace(" ,", ",").replace(" .", ".").split()))
        self.w.write(f"\n\n```{fence}\n{source}\n```")
        if self.length > 90:
            self.w.write("\n\nHow it works:")
            test = art in ("test", "unit test")
            first = (f"The query reads from `{name}`, filters to recent rows and returns the newest first."
                     if lang == "sql" else "Each test checks one behaviour, so a failure points straight at its cause."
                     if test else f"`{name}` does one job, so it is easy to test and to reuse.")
            bank = (_SQL_NOTES if lang == "sql" else _REACT_NOTES if react else _KNOWN_NOTES if known
                    else _CODE_NOTES)
            notes = [first, *self.rng.sample(bank, k=2)]
            self.bullets(notes)
            hint = "pytest" if test and lang == "python" else "react" if react else lang
            self.w.write("\n\n" + _RUN_HINTS.get(hint, _RUN_HINTS["python"]))
        self.body(start=3)
        self.closing()

    def kind_review(self) -> None:
        self.w.write(self.opener("review"))
        outline = self.reading.outline or ("strengths", "risks", "what I would change")
        keywords = [_clean(k) for k in self.reading.keywords if len(_clean(k)) > 3] or [""]
        next_keyword = 0
        for part in outline:
            if not self.room():
                break
            lower = part.lower()
            bank = ("strength" if re.search(r"strength|good|well|positive|pro", lower) else
                    "risk" if re.search(r"risk|weak|concern|issue|problem|con\b|gap", lower) else
                    "change" if re.search(r"change|improve|suggest|recommend|next|fix", lower) else "other")
            self.heading(_cap(part))
            templates = [t for t in _REVIEW_BANKS[bank] if "{k}" not in t or keywords[0]]
            lines = []
            for template in self.rng.sample(templates, k=min(3, len(templates))):
                keyword = keywords[next_keyword % len(keywords)]
                if "{k}" in template:
                    next_keyword += 1
                lines.append(_fill(template, {**self.slots, "k": keyword}))
            self.bullets(lines)
        self.body()
        self.closing()

    def kind_document(self) -> None:
        self.w.write(self.opener("document", {"title": _clean(self.reading.purpose) or self.slots["t"]}))
        runbook = self.reading.artifact in ("runbook", "playbook", "checklist")
        for title, sentences in _DOC_SECTIONS if runbook else _PLAN_SECTIONS:
            if not self.room():
                break
            self.heading(title)
            if sentences:
                self.w.write("\n\n" + " ".join(self.fill(s) for s in sentences))
            else:
                self.bullets([self.fill(step) for step in _RUNBOOK_STEPS], numbered=True)
        self.body()
        self.closing()


def natural_length(reading: Reading, style: Style, user_text: str, rng: random.Random) -> int:
    """How many tokens the emulated model would like to write, before max_tokens."""
    hint = _LENGTH_HINT.search(user_text)
    if hint:
        amount = int(hint.group(1))
        return max(1, amount if hint.group(2).lower() == "tokens" else int(amount * 1.3))
    if reading.kind in ("greeting", "thanks"):
        return rng.randint(30, 60)
    low, high = {"code": (170, 260), "table": (150, 240), "compare": (160, 250), "decide": (170, 250),
                 "review": (180, 260), "document": (200, 260)}.get(reading.kind, (130, 240))
    length = rng.randint(low, high)
    if style.brief:
        length = max(40, length * 2 // 5)
    elif style.detailed:
        length = length * 8 // 5
    return length


def _framing(model_name: str, system: str, turn: int) -> str:
    # Parentheses, not brackets: "[" opens a markdown link, which a streaming renderer may hold back.
    notes = [f"Emulated answer from {model_name}", "no model was called"]
    if turn > 1:
        notes.append(f"turn {turn} of the conversation")
    if system.strip():
        notes.append(f'following the system prompt "{_excerpt(system, 60)}"')
    return "(" + "; ".join(notes) + ("" if notes[-1].endswith('"') else ".") + ")"


def _excerpt(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split()).replace('"', "'")
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def compose_answer(model_name: str, user_text: str, system: str, turn: int, limit: int, rng: random.Random,
                   reading: Reading | None = None) -> str:
    """Markdown that answers `user_text`, marked as emulated; at least `limit` tokens unless it ends first."""
    reading = reading or read_prompt(user_text, system)
    style = read_style(user_text, system)
    length = natural_length(reading, style, user_text, rng)
    writer = _Writer(limit)
    try:
        writer.write(_framing(model_name, system, turn) + "\n\n")
        _Composer(model_name, reading, style, length, rng, writer).compose()
    except _Full:
        pass
    return writer.text()


# -- thinking ---------------------------------------------------------------------------------------------

_WANTS = {
    "code": "{art_phrase} {purpose}", "table": "a table of {t}", "steps": "to know how to {task}",
    "decide": "help choosing between {a} and {b}", "compare": "a comparison of {a} and {b}",
    "list": "a list of {head} {rest}", "review": "a review of {t}", "document": "{title}",
    "yesno": "a yes-or-no answer",
    "explain": "an explanation of {t}", "essay": "a piece about {t}", "greeting": "to say hello",
    "thanks": "to say thanks", "troubleshoot": "help with a problem: {t} is not behaving as expected",
}
_PLANS = {
    "code": "a one-line introduction, the code in a fenced block, then a few bullets on how it works",
    "table": "a sentence of introduction, a markdown table, and a short note on how to read it",
    "steps": "a short introduction, a numbered list of steps, and a tip or two at the end",
    "decide": "the questions that decide it as bullets, then when to choose each option",
    "compare": "a short framing, a side-by-side comparison, and a bottom line",
    "list": "a short introduction and then the items as a list, each with a bold lead",
    "review": "one section per part they asked for, with a few bullets each",
    "document": "headed sections, with numbered steps where order matters",
    "yesno": "a direct answer first, then the conditions that change it",
    "explain": "the big picture first, then the details that matter in practice, then a short summary",
    "essay": "a few paragraphs that go from the basics to practical advice",
    "greeting": "a short, friendly reply that explains what this emulator is for",
    "thanks": "a short, friendly reply",
    "troubleshoot": "a short acknowledgement, then numbered checks from the most likely cause to the least",
}
_REASONING = (
    "Let me think about what they actually need here, rather than everything that could be said.",
    "They probably want something practical they can use, not a survey of the whole field.",
    "The question is fairly open, so I should pick the most common reading and say so if it matters.",
    "I should not assume too much about their setup; a sentence that invites more detail would help.",
    "What would a good answer include? The purpose, the main trade-off, and a concrete next step.",
    "I could go deep into the history, but that would not help with the question as asked.",
    "It is worth checking whether there is a common misconception to address along the way.",
    "A concrete example would make this much easier to follow than an abstract description.",
    "I need to keep the terms consistent, so the reader does not wonder whether two words mean two things.",
    "Length matters too: long enough to be useful, short enough to read in a minute or two.",
    "Is there anything risky in the question? Not really; it is a straightforward request.",
    "I should put the most useful point first, in case they only read the opening lines.",
    "Wait, I should double-check the framing: a rule of thumb is fine, as long as I say when it does not apply.",
    "The trade-offs deserve a sentence of their own, since that is usually where the real decision is.",
    "Markdown will render here, so headings, lists and tables are all available if they help.",
    "I should avoid filler and make each sentence carry something.",
    "Actually, the simplest framing is probably the best one: what it is, why it matters, what to do.",
    "Let me also think about what could go wrong if they follow the advice literally.",
    "One more consideration: the reader may come back to this later, so the structure should be easy to scan.",
    "I also have to be clear that this answer comes from the emulator, not from a real model.",
)
_KIND_REASONING: dict[str, tuple[str, ...]] = {
    "code": ("The code should run as it is, so I will include a small example call with its output.",
             "Edge cases: empty input, a single item, unusual characters. Worth handling or at least mentioning.",
             "I will keep it to the standard library, so there is nothing to install."),
    "steps": ("The order matters here: anything that is hard to undo should come after a check.",
              "Each step should start with a verb and say why it matters, not just what to do."),
    "decide": ("I should not just pick a winner; the right choice between {a} and {b} depends on their situation.",
               "The useful thing is the questions that decide it, and then when each option fits."),
    "compare": ("I should compare {a} and {b} on the same criteria, or the comparison is not fair.",
                "A table would make the side-by-side easy to scan."),
    "table": ("Every row needs the same number of columns, and the header should make the table self-explanatory.",
              "I should not present made-up figures as facts; general descriptions are safer."),
    "list": ("Each item should be distinct; if two items say the same thing, merge them.",
             "A bold lead for each item makes the list easy to skim."),
    "explain": ("I should start from what {t} {is} for, because the details make sense only after that.",
                "Jargon should be defined the first time it appears, or avoided."),
    "troubleshoot": ("I do not know their exact setup, so I should go from the most likely cause to the least.",
                     "Asking for the exact error message would help; I will suggest it."),
    "review": ("A review is most useful when it is specific: name the part, say what works or what is at risk.",
               "I should keep strengths and risks separate, and end with concrete changes."),
}
_ASPECT_THOUGHTS = (
    "What about {x}? It probably deserves a mention, but briefly.",
    "Then there is the question of {x}; that is where people often get stuck, so it is worth a sentence.",
    "Should I cover {x}? Only if it changes the advice; otherwise it is a distraction.",
    "Next, {x}: a sentence or two should be enough.",
    "On {x}, I should be careful not to overstate anything.",
)
_OUTLINES = {
    "code": "what the code does, the code itself, how it works, how to run it",
    "steps": "why the order matters, the steps from the goal to checking the result, a tip for afterwards",
    "decide": "the questions that decide it, when to choose {a}, when to choose {b}, a rule of thumb",
    "compare": "what {a} and {b} have in common, where they differ, a side-by-side view, the bottom line",
    "table": "a line of introduction, the table, one sentence on how to read it",
    "list": "the items, each with a one-line reason, then a closing note",
    "explain": "what {t} {is}, why {it} matter{s}, the key ideas, a short summary",
    "essay": "the big picture, two or three angles on {t}, a short conclusion",
    "troubleshoot": "the most likely causes, how to confirm each one, what to do next",
    "review": "strengths, risks, what I would change",
    "document": "purpose, what to have ready, the main sections, next steps",
}
_ASPECTS = ("the basic definition", "the main trade-off", "edge cases", "a concrete example", "common mistakes",
            "how to check the result", "the audience", "the terminology")
_TECH_ASPECTS = ("performance", "failure modes", "cost", "how to measure it", "security", "scale",
                 "configuration defaults", "testing")


def compose_thinking(model_name: str, user_text: str, system: str, target: int, rng: random.Random,
                     reading: Reading | None = None) -> str:
    """Reasoning of about `target` tokens: the question restated, what the answer needs, and a plan."""
    reading = reading or read_prompt(user_text, system)
    slots = _slots(model_name, reading)
    lang = reading.lang or "python"
    display = _LANGUAGES.get(lang, ("Python", "python"))[0]
    extra = {"art_phrase": f"{_article(display)} {display} {reading.artifact or 'example'}",
             "purpose": _clean(reading.purpose), "head": reading.artifact or "points",
             "rest": _clean(reading.purpose) or ("about " + slots["t"]), "title": _clean(reading.purpose)}
    want = " ".join(_fill(_WANTS.get(reading.kind, _WANTS["essay"]), {**slots, **extra}).split())
    sentences = [f"The user wants {want}."]
    if reading.clause:
        sentences.append(f"More precisely, the question is {slots['clause']}.")
    if system.strip():
        sentences.append(f'The system prompt says "{_excerpt(system, 60)}", so the answer should follow that.')
    side = [k if k[:1].isupper() else "the " + k for k in _side_keywords(reading)[:3]]
    if side:
        sentences.append(f"Other things they mention: {', '.join(side)}.")
    sentences.append(f"Format: {_PLANS.get(reading.kind, _PLANS['essay'])}.")
    if reading.kind in _OUTLINES:
        sentences.append("Outline: " + _fill(_OUTLINES[reading.kind], slots) + ".")
    paragraphs = [" ".join(sentences)]
    specific = [_fill(t, slots) for t in _KIND_REASONING.get(reading.kind, ())]
    if specific:
        paragraphs.append(" ".join(specific))
    used = count_tokens(paragraphs[0])
    deck = _Deck(_REASONING, rng)
    aspects = _Deck([*side, *_ASPECTS, *(_TECH_ASPECTS if reading.tech else ())], rng)
    thought_deck = _Deck(_ASPECT_THOUGHTS, rng)
    current: list[str] = []
    while used < target:
        sentence = (_fill(thought_deck.deal(), {"x": aspects.deal()}) if rng.random() < 0.4 else deck.deal())
        current.append(_cap(sentence))
        used += count_tokens(sentence) + 1
        if len(current) >= rng.randint(3, 5):
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return "\n\n".join(paragraphs) + "\n\nOkay, I have a plan. Time to write the answer."


# -- the whole output -------------------------------------------------------------------------------------

def _cut_at_stop(text: str, stop_sequences: tuple[str, ...]) -> tuple[str, str | None]:
    best: tuple[int, str] | None = None
    for seq in stop_sequences:
        if seq:
            at = text.find(seq)
            if at >= 0 and (best is None or at < best[0]):
                best = (at, seq)
    return (text, None) if best is None else (text[: best[0]], best[1])


def generate(*, model_name: str, user_text: str, system: str, turn: int, max_tokens: int,
             stop_sequences: tuple[str, ...], thinking_budget: int | None, input_tokens: int,
             seed: int, prefill: str = "", answer: str | None = None) -> Generation:
    """The emulated model's whole output for one request, cut by max tokens and stop sequences.

    With a `prefill` (Claude's assistant prefill), the answer continues after those words when they are
    the start of what it would have written, as a real model carries on from them. `answer` replaces the
    composed text (the echo control endpoint); it is cut the same way."""
    rng = random.Random(stable_seed(seed, model_name, user_text, system, turn))
    reading = read_prompt(user_text, system) if answer is None or thinking_budget else None
    thinking: list[str] = []
    if thinking_budget:
        cap = min(thinking_budget, max_tokens)
        # A stream of its own, so the answer is the same with or without thinking.
        thought_rng = random.Random(stable_seed(seed, model_name, user_text, system, turn, "thinking"))
        target = int(cap * thought_rng.uniform(0.8, 0.95))
        thinking = tokenize(compose_thinking(model_name, user_text, system, target, thought_rng, reading))[:cap]
    room = max_tokens - len(thinking)
    prefilled = count_tokens(prefill)
    text = answer if answer is not None else compose_answer(model_name, user_text, system, turn,
                                                            prefilled + room + 1, rng, reading)
    if prefill and text.startswith(prefill):
        text = text[len(prefill):]  # the model carries on from the words put in its mouth
    tokens = tokenize(text)
    stop, stop_sequence = "end", None
    if len(tokens) > room:
        tokens, stop = tokens[:room], "max_tokens"
    cut, matched = _cut_at_stop("".join(tokens), stop_sequences)
    if matched is not None:
        tokens, stop, stop_sequence = tokenize(cut), "stop_sequence", matched
    return Generation(tuple(thinking), tuple(tokens), stop, stop_sequence, input_tokens)
