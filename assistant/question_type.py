"""What kind of answer a question wants: several items (a list), a quantity, an amount of money, a date.

Measured on real questions, not only the article's: ``benchmarks/question_types.py`` scores each
detector against hand labels (tests/data/question_labels.json: the gold set and a sample of ARCD).
"""

from __future__ import annotations

import re

from .normalize import content_terms, fold_marks, normalize, text_language
from .segmentation import NUMBERED_LINE

# -- several items ---------------------------------------------------------------------------------
# English: "what/which are", "list", "name the", "all the Xs", "which (adjective) Xs", "what Xs does
# ...". A plural is a word ending in "s" that is not one of the common short words that do too.
# "What Xs" before a verb that agrees with another subject ("What countries does Kenya compete
# with?", "What colors was the logo?") fired on 6 of XQuAD-R's 1,190 English questions, each one
# asking for several, and on none of the gold set's.
_NOT_PLURAL = r"(?!(?:was|is|does|has|this|its|his|hers|as|us|yes|less|news|series|thus|always|status|process)\b)"
# An acronym in capitals is no plural ("Which IPS signature blocks the exploit?": an intrusion prevention
# system; "IPs" is).
_PLURAL = rf"{_NOT_PLURAL}(?-i:(?![A-Z\d]+\b))\w+[^s\W]s\b"
_VERB = r"(?:are|were|do|did|have|will|does|has|had|is|was|can|could|must)"
# A word between "which" and a plural: a count or a modifier ("which two treaties", "which major
# cities", "which financial systems"). Any word there would make "which programme trains ..." a list:
# of the 16 English questions of XQuAD-R, the gold set and benchmarks/dialogues with a word there, 7
# were such a verb ("Which nation contains ...", "Which tributary gives ..."), each told apart by this.
_MODIFIER = (r"(?:\d+|two|three|four|five|six|seven|eight|nine|ten|major|main|big|small|new|old|key|top|few|several"
             r"|many|different|various|foreign|specific|certain|(?-i:[A-Z]\w+)"
             r"|\w{3,}(?:al|ic|ed|ian|ish|ese|ern|ive|ous|ful|less))")
_ENGLISH_SEVERAL = re.compile(
    rf"\b(?:what|which) (?:are|were|r)\b|\blist\b|\benumerate\b|\bname (?:the|all|some|a few)\b"
    rf"|\b(?:all|each of) the (?:\w+ )?{_PLURAL}|\bwhich (?:other )?(?:{_MODIFIER} )?{_PLURAL}"
    rf"|\bwhat (?:kinds?|types?|sorts?) of (?:\w+ )?{_PLURAL}(?! of)|\bwhat (?:\w+ )?{_PLURAL} {_VERB}\b",
    re.IGNORECASE,
)
# A yes/no question ("هل ...") asks for no list, whatever words it holds: in "هل يتوفر واي فاي مجاني؟" "فاي"
# read as "ف" + "اي" (and which) over a plural-looking "مجاني". None of the 23 of ARCD-train, XQuAD-R and
# the gold set asks for several.
_ARABIC_YES_NO = re.compile(r"\s*و?هل\s")
# Arabic, on normalised text (أ/إ/آ -> ا, ة -> ه, ى/ئ -> ي, no diacritics): an imperative ("اذكر"),
# "who are" ("من هم"), or an interrogative ("ما هي", "اي", "ما") whose noun is plural: a sound
# feminine plural (-ات), a common broken-plural pattern (افعال, فواعل/فعائل, فعول, افعله) or a
# short broken plural from a small general list; "كل/جميع" (all) before the noun counts too.
_ARABIC_IMPERATIVE = re.compile(r"^(?:اذكر|اذكري|اذكروا|عدد|سم|عد)\s")
_ARABIC_WHO_ARE = re.compile(r"(?:^|\s)(?:من|ما) (?:هم|هن)(?:\s|$)")
_ARABIC_INTERROGATIVE = re.compile(
    r"(?:^|\s)(?:ما هي|ماهي|شو هي|وش هي|ايش هي|شنو هي|[لبف]?اي|ما)\s+"
    r"(?:(كل|جميع|بعض)\s+|(ابرز|اهم|اشهر|اخطر|اكثر|اكبر|اطول|اقدم)\s+)?(\S+)"
)
_ARABIC_PLURAL = re.compile(
    r"\S{2,}ات|ا\S\Sا\S|[^\sات]\Sا\S[^\sه]|\S\Sو\S|ا\S[^\sا]\Sه"
    r"|دول|مدن|فرق|طرق|كتب|جزر|قري|مهام|اسماء"
)


def asks_for_several(question: str) -> bool:
    """True when the question asks for several items ("what are the working groups?")."""
    if _ENGLISH_SEVERAL.search(question):
        return True
    folded = normalize(question).replace("؟", " ").replace("?", " ")
    if _ARABIC_YES_NO.match(folded):
        return False
    if _ARABIC_IMPERATIVE.search(folded) or _ARABIC_WHO_ARE.search(folded):
        return True
    # A verbal noun written with its hamza below ("إثبات", "إعلان": إفعال) has the broken plural's shape
    # once folded ("اثبات" as "اقلام"): "ما إثبات الشخصية المطلوب؟" asks for one thing ("إجراءات" is a plural).
    verbal_nouns = {normalize(word) for word in re.findall(r"\S+", question)
                    if len(word.removeprefix("ال")) == 5 and word.removeprefix("ال").startswith("إ")}
    return any(_plural_target(*m.groups()) and m.group(3) not in verbal_nouns
               for m in _ARABIC_INTERROGATIVE.finditer(folded))


# Counts that announce an enumeration: "two main technologies are used", "أربع ركائز أساسية".
_COUNT_WORDS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "اثنان": 2, "اثنين": 2, "اثنتان": 2, "اثنتين": 2, "ثلاث": 3, "ثلاثه": 3, "اربع": 4, "اربعه": 4, "خمس": 5,
    "خمسه": 5, "ست": 6, "سته": 6, "سبع": 7, "سبعه": 7, "ثماني": 8, "ثمانيه": 8, "تسع": 9, "تسعه": 9,
    "عشر": 10, "عشره": 10,
}
_WORD = re.compile(r"\w+")
_ITEMS_INLINE = re.compile(r"[:：]\s*\w")


def announced_count(question: str, sentence: str) -> int:
    """How many items ``sentence`` announces of what ``question`` asks about: a count (2 to 10, in
    digits or words, a clitic و/ب/ل allowed) followed within two words by one of the question's
    content terms ("Today two main technologies are used." for "Which technologies are used?"); 0
    when it announces none, or names them itself after a colon ("three ferry terminals: Quay Street,
    North Point and Gull Island")."""
    wanted = content_terms(question)
    folded = normalize(sentence)
    matches = list(_WORD.finditer(folded))
    words = [m.group() for m in matches]
    for i, word in enumerate(words):
        bare = word[1:] if word[:1] in "وبل" and word[1:] in _COUNT_WORDS else word
        count = int(bare) if bare.isdigit() else _COUNT_WORDS.get(bare, 0)
        if 2 <= count <= 10 and any(content_terms(w) & wanted for w in words[i + 1:i + 3]):
            return 0 if _ITEMS_INLINE.search(folded, matches[i].end()) else count
    return 0


def _plural_target(quantifier: str | None, superlative: str | None, noun: str) -> bool:
    if quantifier:  # "ما هي كل مهام ..."
        return True
    definite = noun.startswith("ال") and len(noun) > 4
    if superlative and definite:  # "ما اكثر القارات سكانا": the most populous one
        return False
    return bool(_ARABIC_PLURAL.fullmatch(noun[2:] if definite else noun))


# -- a quantity or a date -------------------------------------------------------------------------
# Questions whose answer must be a quantity or a date: if the evidence holds none, the documents do
# not answer them, however similar their sentences are ("how many fighters...", "when are the talks...").
QUANTITY = "quantity"
DATE = "date"
# "What date", "which year", "في أي عام": a date on the calendar (a year, a month), which "this year",
# "yesterday", "today" or a resolution's number do not give, though they pass for a date when a
# question asks "when". On ARCD-train 17 of the 18 questions that ask this way have such a date in
# their gold answer (the 18th: "before the age of twenty").
CALENDAR_DATE = "calendar date"
# "What time", "at what hour", "في أي ساعة": a time of day (a clock time, a turn of the day), which a
# span does not give, though "about 5 minutes" passes for an answer to "when" ("What time is judging?"
# cited "Students give a short talk of about 5 minutes", a user's science fair, its timetable's
# "9:00 am – 12:00 pm" left out).
TIME_OF_DAY = "time of day"
# An amount of money ("how much does it cost?", "كم تكلفة ...؟"): a number with no currency does not
# answer it. The gold set's "How much money has the coalition pledged for rebuilding Iraq?" was
# answered by resolution 2254; a user's "كم تكلفة بناء السد؟" by the dam's 5150 megawatts.
MONEY = "money"
# Arabic: "how many/much" words, or "what is" + a measure noun. "عدد" or "نسبة" elsewhere in a question
# is no sign ("لماذا تقدير التغير في العدد السكاني مهم؟", "ما سبب ارتفاع نسبة السكر؟"), nor is
# "تاريخ" (also "history": "لعبت دورا كبيرا في تاريخ من؟"): on ARCD those made answerable questions abstain.
_WHAT_IS = r"(?:^|\s)(?:ما|ماهو|ماهي|ماهى|ما هو|ما هي|ما هى)\s+"
# "When" asks for a time when it is the question's own wh-word ("when did...", "how and when..."); after
# another one it opens a clause: "How old was Manning when he played...?" wants an age, "What happens
# when..." an event. On XQuAD-R's 1,190 English questions, 22 have "when" after another wh-word, and
# 21 of their answers are no time ("39", "17 seconds", "the Onggirat"); refused for want of a date before.
_OTHER_WH = r"\b(?:what|which|who|whom|whose|where|why|how)\b"
# Nor does a "when" clause that a comma closes before the question's own wh-word: "When many people
# are arrested, what is a common tactic?" (2 of XQuAD-R's English questions, neither answered by a time),
# or a sentence that states the problem before the question: "Nothing comes out when I brew. How do I
# fix it?" (a user's manual).
# Nor in a question that opens with an auxiliary: it asks yes or no, and its "when" opens a clause: a
# user's "Does tessellate serve reload automatically when the input file changes?" was refused beside
# "does not reload when the input file changes" for want of a date (none of the 1,711 English questions
# of XQuAD-R, the gold set and benchmarks/dialogues opens so); but for "Do you know when ...?".
_YES_NO = (r"^\W*(?:is|are|was|were|do|does|did|can|could|should|will|would|has|have|had|may|might|must|shall)\b"
           r"(?!(?:\W+\w+){0,2}\W+(?:know|tell|say|remember)\b)")
_WHEN = (rf"^(?!{_YES_NO})(?:(?!{_OTHER_WH}).)*\bwhen\b(?![^?,.]*[,.]\s*{_OTHER_WH})"
         rf"|{_OTHER_WH}\s+(?:and|or)\s+when\b")
# ISO 4217 codes (but those that are also English words: ALL, TOP, CUP, PEN, MOP, BAM, SOS, GEL, MAD),
# and the abbreviations of Arab currencies, next to a number: "25 JOD", "KES 1,200", "Rs. 500", "5 د.أ".
# A user's shop notes said "Membership costs 25 JOD per year.": no currency, so the price was refused.
_ISO_CURRENCIES = (
    "AED AFN AMD ANG AOA ARS AUD AWG AZN BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF "
    "CLP CNY COP CRC CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GHS GIP GMD GNF GTQ GYD HKD HNL HTG "
    "HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MDL "
    "MGA MKD MMK MNT MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PGK PHP PKR PLN PYG QAR RON "
    "RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SRD SSP STN SVC SYP SZL THB TJS TMT TND TRY TTD TWD TZS UAH "
    "UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL"
)
_CURRENCY_ABBREVIATION = (rf"(?-i:{'|'.join(_ISO_CURRENCIES.split())}|Rs\.?)"
                          r"|(?:د\.أ|د\.ا|د\.ك|د\.ب|د\.إ|د\.ع|د\.ت|د\.ج|د\.ل|ر\.س|ر\.ق|ر\.ع|ج\.م|ل\.ل|ل\.س)\.?")
_CURRENCY_CODE_AMOUNT = rf"(?<!\w)(?:{_CURRENCY_ABBREVIATION})\s?\d|\d\s?(?:{_CURRENCY_ABBREVIATION})(?!\w)"
# What money is called in a question that asks for an amount (never "how many times": "how many times
# more did the other nations pay for oil?" wants "ten", XQuAD-R; nor "how much of": "How much of the
# budget was spent?" may want a share; nor "by how much": "By how much did food prices rise?" wants
# the change, "4.3%", nor "how much more/less": "How much more is the heating contract expected to
# cost?" was refused beside "about 18% more than last year", a user's minutes). Not "penalty": as often a
# loss as a sum ("What is the penalty for late lab reports?" was refused beside "lose 10% per day", "...
# if my phone rings during a game?" beside "that player loses the game"; users' trials: 2 of 4 such).
# A deposit is a sum ("How much is the key deposit?" cited "Fees are not refunded after 1 May" before the
# "£15" of the sentence after it, a user's garden plot rules; "كم العربون؟" two more). Not "rent": "What
# were rent arrears at the end of January?" wants a share.
_MONEY_WORDS = (r"cost|costs|price|prices|revenue|revenues|profit|profits|income|salary|salaries|budget|fee|fees"
                r"|fines?|funding|wages?|money|dollars?|euros?|pounds?|deposits?")
# A fine or a fee is an amount too: "ما غرامة تجاوز الإشارة الحمراء؟" cited a traffic-fines table's
# note on paying early, which names no amount, before the line "1000 درهم و12 نقاط" (a user's table).
# "سعر الفائدة", "سعر الصرف", "سعر عائد الإيداع", "سعر الخصم" are rates (interest, exchange, deposit,
# discount), answered by a percentage or a ratio as "interest rate" is: a user's "إلى كم خفض البنك المركزي
# سعر الفائدة الرئيسي؟" was refused beside "إلى 5.25%".
# How much a price rose or fell ("بكم ارتفعت أسعار الغذاء؟") is a change, as "by how much" is in English.
_ARABIC_CHANGE = r"(?:[وف]?(?:ارتفع|انخفض|هبط|زاد|ازداد|تراجع|نما|قفز|صعد|ارتفاع|انخفاض|زياد)\w*)"
_ARABIC_MONEY_WORDS = (r"تكلفه|تكلفة|كلفه|كلفة|تكاليف|سعر(?!\s+(?:ال)?(?:فائد[ةه]|صرف|عائد|خصم)(?!\w))|اسعار|أسعار"
                       r"|ثمن|راتب|رواتب|ميزانيه|ميزانية|مبلغ|غرامة|غرامه|غرامات|رسوم(?!\s+(?:ال)?متحرك)"
                       r"|ايرادات|إيرادات|ارباح|أرباح|تمويل|دولار|دولارا|يورو|جنيه|ريال|دينار|درهم|عربون")
# "What is / was the (total) X", "What was Acme's annual X": a measure asked for by its name.
_WHAT_IS_THE = (r"\bwhat(?: is|'s| was| were| are) (?:the |its |their |[\w-]+(?: [\w-]+){0,2}'s )?"
                r"(?:total |annual |average )?")
_HOW_MUCH_AR = r"(?:كم|بكم|قديش|قدّيش|اديش|أديش)"  # in writing and in speech
# "كم يوماً": how long, whatever money the rest names ("خلال كم يوم يعاد المبلغ المسترد؟" was refused
# beside "خلال 10 أيام عمل" for want of a currency; a user's hotel terms).
_TIME_UNITS = (r"(?:يوم|يوما|يوماً|أيام|ايام|ساعة|ساعه|ساعات|دقيقة|دقيقه|دقائق|أسبوع|اسبوع|أسبوعا|اسبوعا|أسابيع"
               r"|اسابيع|شهر|شهرا|شهراً|أشهر|اشهر|سنة|سنه|سنوات|عام|عاما|عاماً|أعوام|اعوام)")
# "كم يستغرق ..." / "كم من الوقت ...": how long something takes, whatever money the rest names ("كم يستغرق
# وصول المبلغ المسترد إلى البطاقة؟" was refused beside "خلال 7 إلى 10 أيام عمل"; a user's support chat).
_TAKES_AR = r"(?:[يت]?ستغرق|استغرق|من الوقت|من الزمن)(?!\w)"
# "How much notice ...", "how much water ...", "how much time ...": how much of the thing it names, whatever
# money the rest names ("How much notice do they give before raising prices?" was refused beside "at
# least 30 days' notice" for want of a currency; a user's licence terms). Not a verb, a pronoun or a
# word of money after "how much" ("How much does it cost?", "How much money ...", "how much per night",
# "How much extra does Pilates Reformer cost?").
_HOW_MUCH_OF_A_THING = (r"(?! (?!(?:money|cash|rent|tax|taxes|interest|extra|per|in|for|is|are|was|were|do|does|did|will|would"
                        rf"|should|can|could|has|have|had|must|may|might|shall|the|a|an|it|they|we|i|you|he|she|this"
                        rf"|that|these|those|each|every|{_MONEY_WORDS})\b)[a-z]+\b)")
_ASKS = {
    QUANTITY: re.compile(
        r"\bhow (many|much)\b|\bwhat (percentage|share|amount)\b|\bnumber of\b|\bbudget\b"
        # An age, a distance, a height, a weight, a number that names something ("How old is Dr. Oyelaran?",
        # "What is the registration number?" were answered from a sentence with none). Not "how long": its
        # answers are as often words ("several years", "until the end of the current Parliament", XQuAD-R).
        r"|\bhow (old|far|tall|heavy)\b"
        rf"|{_WHAT_IS_THE}(?:[\w-]+ ){{0,2}}number\b(?! of\b)"
        # "What was Acme's revenue in the third quarter?", "what is the population of ...": a measure.
        rf"|{_WHAT_IS_THE}"
        r"(?:cost|price|revenue|profit|income|population|salary|length|height|distance|capacity|percentage|rate)s?\b"
        rf"|(^|\s){_HOW_MUCH_AR}\s"
        rf"|{_WHAT_IS}(ال)?(عدد|نسبة|نسبه|مبلغ|ميزانية|ميزانيه|مساحة|مساحه|طول|عمر|حجم|سعر|قيمة|قيمه|تعداد|معدل|رقم)(?!\w)",
        re.IGNORECASE,
    ),
    MONEY: re.compile(
        rf"(?<!\bby )\bhow much\b(?! (?:of|more|less|higher|lower)\b){_HOW_MUCH_OF_A_THING}"
        rf"(?:(?!\btimes?\b)[^?])*\b(?:{_MONEY_WORDS}|penalty|penalties|charge|charged|paid|spent|earned"
        rf"|worth|sell for|sold for|borrow|borrowed|lend|lent|loan|loaned|pledge|pledged|donate|donated|invest"
        rf"|invested|owe|owed)\b|\bhow expensive\b"
        rf"|{_WHAT_IS_THE}(?:{_MONEY_WORDS})\b"
        # "What does lunch cost?" (a user's kindergarten letter: "Lunches are cooked on site" was cited
        # before "Lunch: £3.20 per day").
        r"|\bwhat (?:does|do|did|will|would) (?:[\w'-]+ ){1,4}cost\b(?! (?:mean|refer|stand)\b)"
        # "What fee is deducted ...?" (a user's ticket rules: the refund clause with no amount was cited
        # first, the fare table's "minus £10 admin fee" second); only nouns that name an amount: "what
        # funding programmes ...", "what income group ..." want names. No question of XQuAD-R, the gold
        # set or benchmarks/dialogues asks so.
        r"|\b(?:what|which) (?:fees?|prices?|costs?|fines?|charges?|fares?|salary|salaries|wages?)\b"
        rf"|(?:^|\s){_HOW_MUCH_AR}\s(?!مر[ةه]|مرات|{_TIME_UNITS}(?!\w)|{_TAKES_AR})(?!(?:\S+\s){{0,2}}{_ARABIC_CHANGE}\s)"
        rf"(?:\S+\s){{0,3}}?(?:ال)?(?:{_ARABIC_MONEY_WORDS})(?!\w)"
        rf"|{_WHAT_IS}(?:ال)?(?:{_ARABIC_MONEY_WORDS})(?!\w)",
        re.IGNORECASE,
    ),
    DATE: re.compile(
        rf"{_WHEN}|\bwhat (date|year|day|month|time)\b|\bwhich (date|year|day|month)\b"
        r"|متى|امتى|إمتى|(^|\s)[وبفل]?(أي|اي|أى|اى) (عام|سنة|سنه|يوم|شهر|تاريخ|قرن|ساعة|ساعه)(?!\w)"
        rf"|{_WHAT_IS}(تاريخ|موعد)(?!\w)",
        re.IGNORECASE,
    ),
    CALENDAR_DATE: re.compile(
        r"\b(what|which) (date|year|month)\b"
        r"|(^|\s)[وبفل]?(أي|اي|أى|اى) (عام|سنة|سنه|شهر|تاريخ)(?!\w)"
        rf"|{_WHAT_IS}تاريخ(?!\w)",
        re.IGNORECASE,
    ),
    TIME_OF_DAY: re.compile(
        r"\b(?:what|which) (?:time|hours?)\b"
        r"(?! (?:of (?:the )?(?:year|month|season|week)|period|frame|limit|span|zone)s?\b)"
        r"|\bat what hour\b"
        r"|(?<!\w)[وبفل]?(?:(?:في|حتى|الى|إلى|من) )?(?:أي|اي|أى|اى) (?:ساعة|ساعه)(?!\w)"
        r"|(?<!\w)الساعة كم|(?<!\w)كم الساعة",
        re.IGNORECASE,
    ),
}
_MONTHS = (r"january|february|march|april|may|june|july|august|september|october|november|december")
# A month's abbreviation beside a day's number ("Thu 26 Sept", "Oct. 3rd"; a user's bookshop calendar):
# alone, "Mar" and "Jan" are names as often.
_ABBREVIATED_MONTH = r"(?:jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)"
_DAY_AND_ABBREVIATED_MONTH = (rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_ABBREVIATED_MONTH}\b"
                              rf"|\b{_ABBREVIATED_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b")
_CLOCK_HOURS = r"(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|noon|midnight|\d{1,2})"
_ARABIC_MONTHS = (r"يناير|فبراير|مارس|أبريل|ابريل|مايو|يونيو|يوليو|أغسطس"
                  r"|اغسطس|سبتمبر|أكتوبر|اكتوبر|نوفمبر|ديسمبر|كانون|شباط|آذار|نيسان|أيار|حزيران|تموز|آب|أيلول|تشرين"
                  r"|محرم|صفر|ربيع|جمادى|رجب|شعبان|رمضان|شوال|ذو القعدة|ذو الحجة")
# A year of any length with its era ("64 ق.م", "52 هـ", "44 BC", "13000 BP"; texts are folded first, so "هـ" is "ه").
_ERA_YEAR = r"\d+\s*(?:ق\.?\s?م|ق\.?\s?ه|ه)(?!\w)|\d+\s*(?:BCE?|AD|CE|BP)\b"
# A number standing alone, as a year does ("in 1956", "1256م"): not part of a model's name ("AquaPure
# H300", "300MW") nor of a longer number ("1,450 metres", "5.300").
_BARE_NUMBER = r"(?<![A-Za-z\d.,،٫]){digits}(?!\d|[.,،٫]\d|[A-Za-z])"
_THREE_OR_FOUR_DIGITS = _BARE_NUMBER.format(digits=r"\d{3,4}")
_CALENDAR_YEAR = _BARE_NUMBER.format(digits=r"(?:\d{3}|[1١]\d{3}|[2٢][0٠]\d{2})")
_HOLDS = {
    QUANTITY: re.compile(
        r"\d|%|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\w+teen|twenty|thirty|forty"
        r"|fifty|sixty|seventy|eighty|ninety|half|dozens?|hundreds?|thousands?|millions?|billions?|(?:twice|thrice)(?! as\b(?! well\b)))\b"
        # Arabic number words as whole words (a clitic و/ب/ل and the article allowed): a bare "الف"
        # would match inside "التحالف".
        r"|(?<!\w)[وبل]?(ال)?(واحد|اثنا|اثنان|اثنين|ثلاث|ثلاثة|أربع|أربعة|اربع|اربعة|خمس|خمسة|ست|ستة|سبع"
        r"|سبعة|ثمان|ثماني|ثمانية|تسع|تسعة|عشر|عشرة|عشرات|نصف|مئة|مائة|مئات|ألف|آلاف|الاف|مليون|ملايين"
        r"|مليار|مليارات)(ان|ين|ا|ي|ة)?(?!\w)"  # duals and tens: مليوني، ألفين، ثلاثين
        # Fractions ("ثلثي سكانها": two thirds of its people), and how many times: "twice", "مرتين" (a
        # user's "كم مرة يمكنني تجديد الاستعارة؟" was refused beside "each item can be renewed twice");
        # not a ratio ("twice as salty": no amount to answer with).
        r"|(?<!\w)[وبل]?(ال)?(ثلث|ثلثا|ثلثي|ثلثين|ربع|أرباع|ارباع|مرتين|مرتان)(?!\w)"
        # A unit's dual is two of it: "مدة الامتحان ساعتان" answered "كم مدة الامتحان؟" (refused).
        r"|(?<!\w)[وبل]?(ال)?(?:(?:ساع|سن|دقيق|ليل)(?:تان|تين)|(?:يوم|شهر|أسبوع|اسبوع|عام)(?:ان|ين))(?!\w)",
        re.IGNORECASE,
    ),
    # A currency, as a sign, a code or a word ("$5 million", "75 million euros", "16 مليون جنيه").
    MONEY: re.compile(
        rf"{_CURRENCY_CODE_AMOUNT}|[$€£¥₹]|\b(?:dollars?|euros?|pounds?|pence|cents?|halalas?|fils|piastres?|baisas?|yen|yuan|renminbi|rupees?|francs?|riyals?|dinars?|dirhams?"
        r"|liras?|lire|shekels?|rubles?|roubles?|pesos?|USD|EUR|GBP|JPY|CNY|SAR|AED|EGP|KWD|QAR|CHF|INR)\b"
        # Arabic names whole, with a plural, dual or accusative ending ("دولارا", "جنيهات", "ريالين").
        r"|(?<!\w)[وبل]?(?:ال)?(?:دولار|يورو|جنيه|ريال|دينار|دنانير|درهم|دراهم|ليره|ليرة|ليرات|روبيه|روبية|فرنك|شيكل"
        r"|روبل|يوان|بيزو"
        # Their subunits: "بسعر 20 هللة للصفحة" did not answer "كم سعر تصوير الصفحة؟" (a library's rules).
        # (Not "قرش", a shark as often, nor "سنت", a verb.)
        r"|هلله|هللة|هللات|فلس|فلسا|بيسه|بيسة|بيسات|بنس|مليم|مليمات"
        r")(?:ات|ا|ان|ين)?(?!\w)",
        re.IGNORECASE,
    ),
    DATE: re.compile(
        rf"{_THREE_OR_FOUR_DIGITS}|{_ERA_YEAR}|{_DAY_AND_ABBREVIATED_MONTH}"
        rf"|\b(yesterday|today|tomorrow|current year|century|{_MONTHS}"
        # A weekday, one or every ("on Wednesdays": a user's "On which day do students get a discount?" was
        # refused beside "10% off garment cleaning on Wednesdays").
        r"|(?:mon|tues|wednes|thurs|fri|satur|sun)days?)\b"
        # Seasons, decades ("the 1990s", "the nineties"), "... ago", an era or reign, an age ("at the
        # age of 25"): times, though not on the calendar (a "when" question's answer on ARCD and XQuAD-R).
        r"|\b(spring|summer|autumn|winter|decades?|ago|era|reign|\d+0s|(twen|thir|for|fif|six|seven|eigh|nine)ties"
        # A time of day: "by 6 p.m.", "at 18:30", "before noon" ("when must the students be back?").
        r"|\d{1,2}:\d{2}|\d{1,2}\s*[ap]\.?m\b|o'clock|noon|midnight|at night|overnight|in the (morning|afternoon|evening)"
        # The hour in words, and the day's turns: "at a little past eleven", "half past four", "a quarter
        # to six", "at sunset" (a user's story: "When did the clockwork stop?" was refused beside "At a
        # little past eleven, the clockwork stopped.").
        rf"|(past|(half|quarter|five|ten|twenty) to) {_CLOCK_HOURS}|sunrise|sunset|dawn|dusk|daybreak|nightfall|midday"
        # A time said from now or in a period: "at the end of the year", "next month", "last week".
        # Or from a period of the reader's: "at the start of your next billing period" (a user's pricing
        # page: "When does a downgrade take effect?" was refused beside it).
        r"|(end|start|beginning|middle) of (the |this |next |last |your |each |every |their |its )?"
        r"((next|current|following|same) )?([a-z]+ )?(year|month|week|quarter|period|cycle|term|semester|season)"
        r"|(next|last|this) (year|month|week|quarter|decade)"
        # A time that recurs: "at the end of each quarter", "every Monday", "monthly" (a user's bank terms:
        # "When is profit added?" was refused beside "at the end of each quarter").
        r"|(each|every) (day|week|month|quarter|year|morning|evening|night|hour)"
        r"|daily|weekly|fortnightly|monthly|quarterly|annually|yearly"
        r"|(at|by|before|after) the age"
        # A time named by an event: "starts on the date you buy the policy", "from the day of arrival",
        # "immediately" (a user's "When does cancellation cover start?" was refused beside the first).
        r"|(on|from|at|until|till|by|before|after) the (date|day|time|moment) (of|you|we|they|it|that|when|on which)"
        r"|immediately"
        # A software version: "will be removed in 5.0", "They will keep working until 5.0 but log a warning"
        # (a user's release notes: "When will legacy_auth be removed?" was refused beside the first).
        r"|(?:in|until|till|since|from|before|after|by)\s+(?:(?:version|release)\s+v?\d+(?:\.\d+)*"
        r"|v?\d+\.\d+(?:\.\d+)*(?=\s*(?:[,.;:)]|$|(?:and|but|or|onwards?)\b)))"
        # A span of time from an event: "within two weeks of leaving", "a year later", "after 30 days",
        # "20 minutes before departure" (a user's e-ticket: "When does the gate close?" met "Boarding gates
        # close 20 minutes before departure." second, the sentence before it first).
        # "within 2 working days" (a user's placement test: "When will I get my results?" was refused).
        r"|(\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|few|several)"
        r"\s+((working|business|calendar|school|full|clear)\s+)?(minutes?|hours?|days?|weeks?|months?|years?)"
        # A numbered week or month from an event: "discontinued at week 4", "from month 4" (a user's
        # rehabilitation protocol: four "When ...?" questions refused beside the sentence that answers).
        r"|(at|from|by|after|before|until|till|in|during|since) (week|month|day) \d+)\b"
        # Arabic words whole (a clitic و/ب/ل/ف allowed): "آب" (August) is also the start of "آباء".
        rf"|(?<!\w)[وبلف]?(?:أمس|امس|اليوم|غدا|العام الحالي|القرن|قرن|{_ARABIC_MONTHS}"
        r"|الاثنين|الثلاثاء|الأربعاء|الخميس|الجمعة|السبت|الأحد"
        # Seasons, decades (التسعينيات), "ago" (منذ, خلت), an era or reign, an age ("في سن الخامسة").
        r"|(?:ال)?(?:ربيع|صيف|خريف|شتاء)|\S+ينيات|منذ|خلت|عصر|العصر|عهد|(?:في|قبل|بعد|منذ) سن"
        # A time of day: "قبل الساعة السادسة مساءً", "ظهراً", "منتصف الليل".
        r"|الساعة|ساعة|صباحا|مساء|مساءا|ظهرا|منتصف الليل|فجرا|ليلا"
        # The hour and a half or a quarter ("الرابعة والنصف", "السادسة إلا ربعاً"), the day's turns.
        r"|والنصف|والربع|والثلث|[إا]لا ربعا|[إا]لا ثلثا|الغروب|غروب الشمس|الشروق|شروق الشمس|الفجر|الظهر"
        # "نهاية العام", "مطلع الشهر المقبل", "العام الماضي".
        r"|(?:نهاية|بداية|مطلع|منتصف|اواخر|أواخر|اوائل|أوائل) (?:ال)?(?:عام|سنة|شهر|أسبوع|اسبوع|ربع)"
        # A time that recurs: "في نهاية كل ربع سنة", "كل يوم", "شهرياً".
        r"|كل (?:يوم|أسبوع|اسبوع|شهر|ربع|عام|سنة|ساعة|صباح|مساء|ليلة)"
        r"|يوميا|أسبوعيا|اسبوعيا|شهريا|سنويا|فصليا"
        # "اعتباراً من تاريخ ...", "حتى تاريخ انتهاء ...", "فوراً" (a bare "من تاريخ" may be "of the history").
        r"|(?:منذ|حتى|بعد|قبل|اعتبارا من|ابتداء من|بدءا من) تاريخ|فورا"
        # Or after a verb of starting: "تبدأ مدة الضمان من تاريخ استلام العميل للجهاز" (a user's warranty
        # terms: "متى تبدأ مدة الضمان؟" was refused at p .96).
        r"|(?:يبدأ|تبدأ|يبدا|تبدا|يسري|تسري|يحتسب|تحتسب|يحسب|تحسب)\s(?:\S+\s){0,4}?من تاريخ"
        r"|(?:في|حتى|منذ|قبل|بعد|مع|من) (?:ال)?(?:إصدار|اصدار|نسخة|نسخه)\s+v?\d+(?:\.\d+)+"
        # A time named by an event: "من أول تمرير للبطاقة", "عند انتهاء العقد", "مع بداية العام" (a user's
        # "من متى تُحسب مدة الاشتراك؟" was refused beside "يبدأ احتساب مدة الاشتراك من أول تمرير للبطاقة").
        r"|(?:من|منذ|عند|حتى|قبل|بعد|مع) (?:أول|اول|آخر|اخر|لحظة|بدء|بداية|انتهاء|نهاية|انقضاء)"
        r"|(?:العام|الشهر|الأسبوع|الاسبوع|السنة) (?:المقبل|المقبلة|القادم|القادمة|الماضي|الماضية)"
        # A numbered week or month from an event: "يُمنع الحج بعد الأسبوع 28 من الحمل".
        r"|(?:بعد|قبل|حتى|منذ|في) (?:ال)?(?:أسبوع|اسبوع|شهر) [\d٠-٩]+"
        # A span of time: two of a unit ("خلال أسبوعين"), or a number and a unit ("بعد ثلاثة أيام").
        r"|يومين|يومان|أسبوعين|اسبوعين|أسبوعان|شهرين|شهران|عامين|عامان|سنتين|سنتان|ساعتين"
        # Tens take a singular unit: "بعد ستين يوماً" (a user's regulation: "متى يبدأ العمل باللائحة؟" was refused).
        r"|(?:\d+|ثلاث|ثلاثة|أربع|أربعة|اربعة|خمس|خمسة|ست|ستة|سبع|سبعة|ثماني|ثمانية|تسع|تسعة|عشر|عشرة"
        r"|(?:عشر|ثلاث|أربع|اربع|خمس|ست|سبع|ثمان|تسع)(?:ون|ين))"
        r"\s+(?:ساعات|أيام|ايام|أسابيع|اسابيع|أشهر|اشهر|شهور|سنوات|أعوام|اعوام|يوما|شهرا|عاما|سنة"
        r"|ساعة|دقيقة|دقائق|أسبوعا|اسبوعا))(?!\w)",
        re.IGNORECASE,
    ),
    # A year (not "resolution 2254": a year on the calendar is no later than this century) or a month.
    CALENDAR_DATE: re.compile(rf"{_CALENDAR_YEAR}|{_ERA_YEAR}|\b({_MONTHS})\b|{_DAY_AND_ABBREVIATED_MONTH}"
                              rf"|(?<!\w)[وبلف]?(?:{_ARABIC_MONTHS})(?!\w)", re.IGNORECASE),
    # A clock time ("9:00", "5.00pm", "الساعة السابعة"), or a turn of the day ("every morning", "بعد صلاة العصر");
    # or closed ("And on Sundays?" after "What hours is it open?": "Closed on Sundays and bank holidays.").
    TIME_OF_DAY: re.compile(
        rf"\d{{1,2}}:\d{{2}}|\b\d{{1,2}}(?:\.\d{{2}})?\s*[ap]\.?m\b"
        r"|\b(?:closed|o'clock|noon|midnight|midday|mornings?|afternoons?|evenings?|nights?|overnight|sunrise"
        r"|sunset|dawn|dusk|daybreak|nightfall|24 hours|24/7|around the clock)\b"
        rf"|\b(?:past|(?:half|quarter|five|ten|twenty) to) {_CLOCK_HOURS}\b"
        r"|(?<!\w)[وبلف]?(?:مغلق|مغلقة|مغلقه|الساعة|صباحا|الصباح|صباح|مساء|مساءا|المساء|ظهرا|عصرا|فجرا|ليلا|الليل"
        r"|منتصف الليل|والنصف|والربع|[إا]لا ربعا|الغروب|غروب الشمس|الشروق|شروق الشمس|الفجر|الظهر|العصر"
        r"|صلاة المغرب|العشاء|الضحى)(?!\w)",
        re.IGNORECASE,
    ),
}


def wanted_answer_types(question: str) -> tuple[str, ...]:
    """The answer types (``QUANTITY``, ``MONEY``, ``DATE``, ``CALENDAR_DATE``, ``TIME_OF_DAY``) the question asks for,
    in that order."""
    return tuple(kind for kind, pattern in _ASKS.items() if pattern.search(question))


# The words a field's label names a place or a time by: "Venue: The Foundry, 22 Canal Street" answers
# "Where is the hackathon held?" and "Sale date: Saturday 12 April 2025" "When is the sale?", though
# neither shares a word with its question (the title names the subject), and users' notices, programmes
# and certificates open with such lines. Looked for by the lexical signal only (``label_words``), in
# English: on users' trials 41-58 the English labels put 5 answers first and lost none, XQuAD-R's English
# paragraphs the same (docs/benchmarks.md, "A fifty-sixth to fifty-eighth new user's documents"); Arabic
# ones (المكان، العنوان، تاريخ، موعد، وقت) put 5 first and lost 6, and ARCD-train's "متى" questions lost 3
# first sentences to "تاريخ" (history as often as a date) in Wikipedia's prose.
_ASKS_WHERE = re.compile(r"\bwhere\b", re.IGNORECASE)
_PLACE_LABELS = "venue location address"
_TIME_LABELS = "date dates time"


def label_words(question: str) -> str:
    """The words a field's label would name what an English ``question`` asks for by (a place, a time), or ""."""
    if text_language(question) != "en":
        return ""
    words = [_PLACE_LABELS] if _ASKS_WHERE.search(question) else []
    kinds = wanted_answer_types(question)
    if DATE in kinds and CALENDAR_DATE not in kinds:
        words.append(_TIME_LABELS)
    return " ".join(words)


# The days "weekdays" and "the weekend" stand for, as timetables name them ("| Monday – Friday | 5:10 am |",
# "Sat-Sun 8:00am - 8:00pm"): "What time is the first bus on weekdays?" cited the Saturday row of a bus
# timetable, the only words the right row shares with the question being the header's. English only,
# as ``label_words``: an Arabic "أيام الأسبوع" is as often "the days of the week", and the working week
# differs between the countries that write Arabic.
_DAYS_MEANT = ((re.compile(r"\bweek ?days?\b", re.IGNORECASE), "monday tuesday wednesday thursday friday mon fri"),
               (re.compile(r"\bweek ?ends?\b", re.IGNORECASE), "saturday sunday sat sun"))


def days_meant(question: str) -> str:
    """The days an English ``question``'s "weekdays" or "weekend" stand for, or ""."""
    if text_language(question) != "en":
        return ""
    return " ".join(days for pattern, days in _DAYS_MEANT if pattern.search(question))


# A share of an amount of money is how much a fine or a fee is: "تتراوح الغرامة بين 5% و25% من قيمة
# الضريبة" (a user's VAT guide: "ما غرامة عدم تقديم الإقرار في موعده؟" was refused beside it), "0.5% من قيمة
# العقد عن كل أسبوع", "60% of the zone's fee". Not any share ("35% of its electricity", "VAT (15%)" for
# "How much will the plant cost?", "What is the mayor's salary?": answered in seven users' trials when
# every percentage counted), nor a discount ("خصم 50% من الرسوم" says no fee).
_AMOUNT = (r"(?:the |its |their |your |each |every |a |an )?(?:[\w'-]+'s )?(?:ال)?(?:قيم[ةه]|رسم|رسوم|سعر|مبلغ|دفع[ةه]|دفعات"
           r"|أجر[ةه]?|اجر[ةه]?|تكلف[ةه]|فاتور[ةه]|راتب|اشتراك|ضريب[ةه]|إيجار|ايجار|قسط|أقساط|value|price|fees?|fares?"
           r"|balance|amount|cost|bill|invoice|salary|total|rent|tax|premium|deposit|contract|sum|payment)")
_SHARE_OF_AMOUNT = re.compile(
    rf"((?:خصم|تخفيض|discount|rebate)\s+(?:بنسبة\s+|of\s+)?)?\d[\d.,٫]*\s*(?:%|٪|per ?cent)\s+(?:من|of)\s+{_AMOUNT}",
    re.IGNORECASE)
# So is a multiple of one: "غرامة البناء دون ترخيص: ضعف رسم الترخيص" (a user's building-permit fees: the row
# was ranked first for "ما غرامة البناء بدون رخصة؟" and passed over for a sentence with "50 ديناراً"),
# "ثلاثة أضعاف الرسم", "double the fee", "three times the daily rate".
_MULTIPLE_OF_AMOUNT = re.compile(
    rf"(?<!\w)(?:(?:ب)?(?:ضعف|ضعفي|ضعفا|أضعاف|اضعاف)\s+|(?:double|twice|triple|(?:two|three|four|five|ten|\d+) times)\s+)"
    rf"(?:the )?(?:daily |monthly |annual |normal |standard |full |usual )?(?:rates?\b|{_AMOUNT})", re.IGNORECASE)


# A figure under a label that names a price or a fee ("Fee: 250", "أقل سعر: 1,450", a table's row with
# its cells named: "الغرامة: 5,000"): an amount of money whose currency the document says once, in a
# heading or a note ("أسعار الأغنام (ريال سعودي للرأس)"); such rows were refused for "How much ...?".
_PRICED_FIELD = re.compile(
    r"(?<!\w)(?:[وبل]?(?:ال)?(?:سعر|أسعار|اسعار|ثمن|رسوم|رسم|غرامة|غرامه|غرامات|تكلفة|تكلفه|كلفة|أجرة|اجرة|إيجار|ايجار)"
    r"|price|prices|cost|costs|fee|fees|fine|fines|charge|charges|rent|deposit|premium)(?!\w)"
    r"[^:;\n]{0,30}[:：]\s*[\d٠-٩]", re.IGNORECASE)
# A fee, a charge or a commission given as a share is its amount: "A restocking fee of 15% applies to:"
# answers "How much is the restocking fee?" (a user's returns policy: refused at p .95), as "عمولة
# بنسبة 2%" does "كم العمولة؟". Only a fee's own share: not any percentage near a price ("VAT (15%)").
_FEE_AS_SHARE = re.compile(
    r"\b(?:fees?|charges?|surcharges?|commissions?)\s+(?:of\s+)?\d[\d.,]*\s*(?:%|per ?cent)"
    r"|\d[\d.,]*\s*(?:%|per ?cent)\s+(?:[\w-]+\s+)?(?:fees?|charges?|surcharges?|commissions?)\b"
    # A price said from another: "wholesale price plus 8%" (a co-op's bulk orders, refused at p .80).
    r"|\b(?:price|cost|rate)\s+(?:plus|\+)\s*\d[\d.,]*\s*(?:%|per ?cent)"
    r"|(?<!\w)(?:ال)?(?:رسوم|رسم|عمولة|عموله|غرامة|غرامه)\s+(?:\S+\s+)?(?:بنسبة|بنسبه|قدرها|قدره|مقدارها)\s+[\d٠-٩][\d٠-٩.,٫]*\s*(?:%|٪)",
    re.IGNORECASE)
# No fee at all is how much it costs: "رسوم التسجيل: لا توجد رسوم، والمشاركة مجانية." for "كم رسوم الاشتراك؟"
# (read with its diacritics folded: "مجانًا" as "مجانا").
_NO_FEE = re.compile(
    r"\bfree of charge\b|\b(?:is|are|it's|entry|admission|access)\s+free\b|\bno (?:fee|fees|charge|cost)\b"
    r"|(?<!\w)(?:مجان(?:ا|ي|ية|يه)?|بالمجان|(?:بدون|دون|بلا|لا توجد|لا يوجد|لا تفرض|ليس هناك) (?:أي )?(?:رسوم|مقابل|تكلفة))(?!\w)",
    re.IGNORECASE)


def holds_answer_type(kind: str, text: str) -> bool:
    text = fold_marks(text)  # "في سنّ العشرين": no diacritics inside words
    if kind == MONEY and (any(not share.group(1) for share in _SHARE_OF_AMOUNT.finditer(text))
                          or _MULTIPLE_OF_AMOUNT.search(text) or _PRICED_FIELD.search(text) or _NO_FEE.search(text)
                          or _FEE_AS_SHARE.search(text)):
        return True
    return bool(_HOLDS[kind].search(text))


# A year on the calendar, in Western or Arabic-Indic digits ("in 2021", "عام ١٩٥٠"), not part of a
# longer number ("resolution 2254" is past this century, "12,500" has a separator) nor a decade ("the 1700s").
_YEAR_DIGITS = r"(?:1\d{3}|20\d{2})(?![\d,.،٫]\d)"
_YEAR = re.compile(rf"(?<![\d,.،٫]){_YEAR_DIGITS}(?!s\b)")
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")


def named_years(text: str) -> frozenset[str]:
    """The years ``text`` names, in Western digits."""
    return frozenset(_YEAR.findall(text.translate(_DIGITS)))


def without_years(text: str) -> str:
    """``text`` with the years it names left out (in Western digits)."""
    return _YEAR.sub(" ", text.translate(_DIGITS))


_WITH_DIGITS = re.compile(r"\w*\d\w*")


# A phone number: international ("+44 7700 900123"), a trunk prefix ("0113 496 0000") or North
# American ("(555) 123-4567", "555-123-4567"). "When was Daniel Okafor born?" was answered, a user's CV
# naming no birth date, from its contact line: 7700 read as a year.
_PHONE_NUMBER = re.compile(r"\+\d[\d ().-]{6,}\d|(?<![\w.,])0\d{2,4}[ .-]\d{3,4}[ .-]?\d{3,4}(?![\w.,]\d)"
                           r"|\(\d{3}\) ?\d{3}-\d{4}\b|(?<![\w-])\d{3}-\d{3}-\d{4}\b")
# Unless the question asks for one: "What is the school phone number?" wants a number, and was refused
# beside "**هاتف المدرسة:** 013 845 2200" (a user's newsletter); so do "the number to call", "ما رقم
# البريد الصوتي؟" (a podcast's voicemail) and "How do I contact them?" (not "the number of ...").
_ASKS_FOR_A_PHONE = re.compile(r"\b(?:phone|telephone|fax|mobile|hotline|helpline|whatsapp|voicemail|call|contact)\b"
                               r"|\bnumber\b(?!\s+of\b)"
                               r"|(?<!\w)[وبل]?(?:ال)?(?:هاتف|جوال|فاكس|تلفون|تليفون|واتساب|رقم|اتصال|أتصل|اتصل|التواصل)(?!\w)",
                               re.IGNORECASE)
# A year said as one: after a word that names it so ("عام 1998", "in 1998", "since 2004") or with its
# era ("1205 هـ", "44 BC"). "كم عدد زوار المتحف سنوياً؟" was answered by a timeline's "عام 1998: رُمّمت
# القلعة وحُوّلت إلى متحف" (a user's city history). Of the 340 ARCD-train and XQuAD-R questions that ask
# for a count, the sentence that answers them keeps one for every question.
_YEAR_SAID = re.compile(r"(?:(?<!\w)[وبلف]?(?:عام|سنة|سنه|العام|السنة|منذ)\s+|\b(?:in|since|until|during|year|early|late|mid-?)\s+)"
                        rf"{_YEAR_DIGITS}(?:\s*م(?!\w))?|{_ERA_YEAR}", re.IGNORECASE)
# A question about years, ages or a time ("How many years did he rule?", "كم عاماً"), whose answer may be
# a year ("from 1990 to 2000").
_ABOUT_YEARS = re.compile(r"\b(?:years?|old|age|when)\b|(?<!\w)[وبلف]?(?:ال)?(?:سنة|سنه|سنوات|سنين|عام|عاما|عاماً|أعوام|اعوام"
                          r"|عمر|متى)(?!\w)", re.IGNORECASE)


def without_years_said(text: str) -> str:
    """``text`` without the years it says are years (``_YEAR_SAID``)."""
    return _YEAR_SAID.sub(" ", fold_marks(text).translate(_DIGITS))


def without_numbers_named_in(question: str, text: str) -> str:
    """``text`` without the words holding digits that ``question`` names too ("Q3" of "according to
    its Q3 2024 report"): what a question says is not its answer."""
    named = {word.casefold() for word in _WITH_DIGITS.findall(question.translate(_DIGITS))}
    return _WITH_DIGITS.sub(lambda word: " " if word[0].casefold() in named else word[0], text.translate(_DIGITS))


# "When should I ...?", "متى يجب ...؟": what is asked is a condition as often as a time, and a condition
# answers it ("أوقف استعمال الدواء فوراً ... إذا ظهر احمرار": a leaflet's "متى يجب إيقاف الدواء فوراً؟"
# was refused for holding no date). Only after such a modal: counted for every "when" question, a
# blind trial's "When is the final exam?" was answered by "يُحرم الطالب من دخول الاختبار النهائي إذا
# ..." (refused before), and ARCD-train's constructed unanswerable questions lost abstention recall
# (.406 -> .400, benchmarks/answerability.py), for 5 of XQuAD-R's answers given as a condition.
_CONDITIONAL_WHEN = re.compile(
    r"\bwhen (?:should|must|can|could|may|might|do I|do we|do you|does one|would I|will I|is it (?:safe|necessary))\b"
    # "When do brake pads need replacing?": "Replace them if the friction material is thinner than 0.5 mm."
    r"|\bwhen (?:do|does) (?:[\w'-]+ ){1,3}(?:need|needs|have to|has to)\b"
    # Negated too: "متى لا يجوز تناول سيتافين؟" (a leaflet's "- إذا كانت لديك حساسية ..." was refused).
    r"|(?:^|\s)[وف]?متى (?:لا )?(?:يجب|ينبغي|يمكن|يمكنني|يلزم|يحق|يجوز|علي|علينا|عليك|أستطيع|استطيع|يستطيع|نستطيع|أحتاج|احتاج)(?!\w)",
    re.IGNORECASE)
_CONDITION = re.compile(r"\b(?:when|whenever|if|as soon as|in case|unless)\b"
                        r"|(?<!\w)[وف]?(?:عندما|حينما|كلما|إذا|اذا|في حال|في حالة|حالما|فور|عند)(?!\w)"
                        # Who it applies to, past a limit: "Employees who are absent for more than three
                        # consecutive working days must provide a doctor's note" (a leave policy's "When do
                        # I need a doctor's note?" was refused for holding no date).
                        r"|\b(?:anyone|whoever|those who|\w+s who)\b|\b(?:more|longer|later|fewer|less) than\b"
                        r"|(?<!\w)(?:كل|لكل) من(?!\w)|(?<!\w)(?:أكثر|اكثر|أطول|اطول|أقل|اقل) من(?!\w)"
                        r"|(?<!\w)(?:يزيد|تزيد|يتجاوز|تتجاوز|تجاوز)(?!\w)", re.IGNORECASE)


def _without_list_number(text: str) -> str:
    """``text`` without the number a list item opens with: its place in the list, not a quantity ("1.
    الالتزام بعدد الركاب المسموح به" answered "كم عدد الركاب المسموح به على القارب؟", a user's boat rental,
    over "الحمولة القصوى: 12 راكباً")."""
    number = NUMBERED_LINE.match(text)
    return text if number is None else " " + text[number.end():]


def gives_answer_type(kind: str, question: str, text: str) -> bool:
    """Whether ``text`` holds a ``kind`` (a number, an amount, a date) that ``question`` does not name
    itself: "How many people died in the fire of 1702?" is not answered by "The fire of 1702 destroyed
    the harbour." (a user's town history: answered, as its only number was the question's year). A
    phone number is neither a date nor a count, and a year said as one ("in 1998", "عام 1998") is no
    count unless the question is about years (``without_years_said``). For a "when should ...?"
    question a condition is a date's equal (``_CONDITIONAL_WHEN``)."""
    text = without_numbers_named_in(question, _without_list_number(text))
    if not _ASKS_FOR_A_PHONE.search(question):
        text = _PHONE_NUMBER.sub(" ", text)
    if kind == QUANTITY and not _ABOUT_YEARS.search(question):
        text = without_years_said(text)
    return holds_answer_type(kind, text) or (
        kind == DATE and bool(_CONDITIONAL_WHEN.search(question)) and bool(_CONDITION.search(fold_marks(text)))) or (
        kind == QUANTITY and bool(_HOW_MANY_TIMES.search(question)) and bool(_FREQUENCY.search(fold_marks(text))))


# How many times is answered by how often: "كم مرة تُجمع النفايات في المنطقة الثالثة؟" was refused beside
# "يوميًا عدا الجمعة" (a user's waste-collection notice), as "How many times a week ...?" would be beside
# "once a week".
_HOW_MANY_TIMES = re.compile(r"\bhow many times\b|(?<!\w)كم (?:عدد )?مر(?:ة|ه|ات)(?!\w)", re.IGNORECASE)
_FREQUENCY = re.compile(
    r"\b(?:once|daily|weekly|monthly|yearly|annually|hourly|nightly"
    r"|every (?:other )?(?:day|week|month|year|morning|evening|night|hour))\b"
    r"|(?<!\w)[وب]?(?:يومي|أسبوعي|اسبوعي|شهري|سنوي)ا(?!\w)|(?<!\w)كل (?:يوم|أسبوع|اسبوع|شهر|سنة|سنه|عام|ليلة|ليله)(?!\w)",
    re.IGNORECASE)


# What a question looks like: a question mark, an English wh-word, auxiliary, imperative or "and"
# opening it ("is...", "list...", "and in Syria"), an Arabic one opening with "و", or an Arabic
# question word or imperative anywhere ("ما", "هل", "اذكر", dialect "وش", "شو", "قديش"...).
_QUESTION_FORM = re.compile(
    r"[?؟]"
    rf"|^\W*(?:{_OTHER_WH}|\b(?:when|is|are|was|were|do|does|did|can|could|should|will|would|has|have|had"
    r"|list|name|give|tell|explain|describe|define|show|find|summari[sz]e|and|or|but|also)\b)"
    r"|^\W*و(?=\S)"  # "وفي سوريا؟" as "and in Syria": a follow-up
    r"|(?:^|\s)[وف]?(?:ما|ماذا|من|متى|أين|اين|كيف|لماذا|لم|كم|هل|أي|اي|أية|ماهو|ماهي|اذكر|عدد|سم|اشرح|عرف|صف"
    r"|وش|شو|ايش|إيش|قديش|مين|فين|وين|ليش|امتى|إمتى|بكم|لمن|عن)(?=\s|$|[?؟])",
    re.IGNORECASE,
)


def looks_like_a_question(question: str) -> bool:
    """Whether ``question`` asks something: it has a question's form, or at least two content words
    (a keyword query such as "coalition pillars").

    "hello", "thanks!", "ok" or "test" is neither, and an English word alone matches some Arabic text
    across languages as well as a real question does: in a store of ten Arabic paragraphs "hello" was
    answered at a probability of .58 with three unrelated sentences. On the 3,350 real questions of
    ARCD-train, XQuAD-R (Arabic and English), the gold set and the follow-up dialogues this says
    "not a question" for none (tests/test_question_type.py measures it on the gold set).
    """
    return bool(_QUESTION_FORM.search(question)) or len(content_terms(question)) >= 2


# A preamble that announces a new question ("Different question: how much ...?", "سؤال آخر: من مؤلفة
# ...؟", "By the way, ..."): its words name nothing the documents hold. Ranked with the question, they
# matched an FAQ's question lines ("سؤال" against "### How long can I borrow items?"); in a
# conversation, they say the topic changes. None of the 3,701 questions of ARCD-train, XQuAD-R, the gold
# sets and benchmarks/dialogues opens with one.
_NEW_QUESTION = re.compile(
    r"^\s*(?:(?:an?other|different|new|quick|one more|one last|last|separate|unrelated|next)\s+"
    r"(?:question|thing|topic|one)|(?:changing|change of|new) (?:the )?(?:subject|topic)|by the way|btw"
    r"|(?:سؤال|استفسار|موضوع)\s+(?:آخر|اخر|جديد|مختلف|أخير|اخير|منفصل)|بالمناسبة|على فكرة|بعيدا عن ذلك"
    r"|بعيداً عن ذلك)\s*[:,،.\-–—]+\s*",
    re.IGNORECASE,
)


def without_preamble(question: str) -> str:
    """``question`` without a preamble that announces a new question (``_NEW_QUESTION``)."""
    rest = _NEW_QUESTION.sub("", question, count=1)
    return rest if rest.strip() else question


def announces_new_topic(question: str) -> bool:
    """Whether ``question`` opens with a preamble that announces a new question: a change of topic."""
    return without_preamble(question) != question
