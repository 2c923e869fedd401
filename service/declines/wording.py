"""Every sentence of the decline, per language, in one place: the email's lines and, for
each reason, what to say on the phone if pressed. Formal register (Sie, vous, usted).

Placeholders: {job} (the job as a phrase, see `job_phrase`), {company}, {when} (the
interview's date and time), {who} (the referral, with the relationship before the name),
{name}, {email}, {phone}, {area}. Thanks lines are keyed by (role, moment): `first`
(invited, after applying), `approached` (they reached out first), `follow_up` (a later
round). German thanks start in lower case: they follow "Sehr geehrte Frau Raman,".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from service.declines.language import Language


class SignOff(StrEnum):
    kind_regards = "kind_regards"
    best_regards = "best_regards"
    with_thanks = "with_thanks"
    sincerely = "sincerely"


@dataclass(frozen=True)
class Story:
    """One reason, told the same way everywhere: the email's line (None: no reason given),
    what to say if pressed on the phone, and if pressed again. Three different sentences
    that never contradict one another."""

    email: str | None
    pressed: str
    pressed_further: str


@dataclass(frozen=True)
class Wording:
    locale: str  # for Babel's dates and times
    subject: dict[str, str]  # by round; {title} is the job title as given
    job: str  # {title} framed as a position
    # A title that already says "position" is named as it is, with an article: by its
    # first word ("Poste de …" -> "le poste de …") or the end of its last ("… role").
    job_leads: dict[str, str]
    job_tails: tuple[str, ...]
    job_tail_article: str
    thanks: dict[tuple[str, str], str]
    decline: dict[str, str]  # by round
    decline_on: dict[str, str]  # by round, naming the interview {when}
    when: str  # {date}, {time}, {zone}
    dates: tuple[str, str]  # Babel patterns: without the year (soon), with it (further off)
    short_notice: str
    stories: dict[str, Story]  # by reason
    referral: str
    referral_phone: str
    open_door: dict[str, str]  # "hear" (recruiter, other) or "stay" (hiring manager, interviewer)
    area: str  # how {area} joins the open door line
    reply: str
    sign_offs: dict[SignOff, str]
    greeting_ends: str  # ",", or ":" in Spanish


def _thanks(**lines: str) -> dict[tuple[str, str], str]:
    """`recruiter__first="..."` -> {("recruiter", "first"): "..."}."""
    return {tuple(key.split("__")): text for key, text in lines.items()}  # type: ignore[misc]


EN = Wording(
    locale="en",
    subject={"first": "Interview invitation: {title}", "follow_up": "Follow-up interview: {title}"},
    job="the {title} position",
    job_leads={},
    job_tails=("role", "position", "job", "opening", "vacancy", "post"),
    job_tail_article="the",
    thanks=_thanks(
        recruiter__first="Thank you for the invitation to interview for {job} at {company}, "
        "and for considering my application.",
        recruiter__approached="Thank you for reaching out about {job} at {company}, and for "
        "the invitation to interview.",
        recruiter__follow_up="Thank you for the invitation to a further interview for {job} at "
        "{company}, and for organising everything so far.",
        hiring_manager__first="Thank you for considering me for {job} in your team at {company}.",
        hiring_manager__approached="Thank you for thinking of me for {job} in your team at "
        "{company}.",
        hiring_manager__follow_up="Thank you for the invitation to a further interview for {job} "
        "in your team at {company}, and for your time so far.",
        interviewer__first="Thank you for setting aside time to interview me for {job} at "
        "{company}.",
        interviewer__approached="Thank you for setting aside time to talk with me about {job} at "
        "{company}.",
        interviewer__follow_up="Thank you for the time you have given to my interviews for {job} "
        "at {company}.",
        other__first="Thank you for the invitation to interview for {job} at {company}.",
        other__approached="Thank you for getting in touch about {job} at {company}.",
        other__follow_up="Thank you for the invitation to a further interview for {job} at "
        "{company}.",
    ),
    decline={
        "first": "I must respectfully decline this invitation.",
        "follow_up": "I have decided to withdraw my candidacy.",
    },
    decline_on={
        "first": "I must respectfully decline the interview on {when}.",
        "follow_up": "I have decided to withdraw my candidacy and will not attend the interview "
        "on {when}.",
    },
    when="{date}, at {time}{zone}",
    dates=("EEEE, MMMM d", "EEEE, MMMM d, y"),
    short_notice="I am sorry for the short notice.",
    stories={
        "none": Story(
            None, "The timing just isn't right for me.", "I'm pursuing other opportunities."
        ),
        "accepted_offer": Story(
            "I have accepted another offer.",
            "I've committed to another role, and I want to give it my full attention.",
            "I'd rather not go into detail, but thank you for understanding.",
        ),
        "not_a_fit": Story(
            "I have concluded that this direction is not right for me at this point in my career.",
            "I'm taking the next step of my career in a different direction.",
            "I'm pursuing other opportunities.",
        ),
        "timing": Story(
            "The timing is not right for me.",
            "With everything else going on in my job search, I couldn't give this the attention "
            "it deserves.",
            "I'm pursuing other opportunities.",
        ),
        "other_opportunities": Story(
            "I have decided to focus on other opportunities.",
            "I'm concentrating on a few conversations that are already under way.",
            "I'd rather not go into detail, but thank you for understanding.",
        ),
    },
    referral="If it helps your search, I can recommend {who}, a strong candidate who is happy to "
    "be contacted at {email}.",
    referral_phone="If it helps your search, I can recommend {who}, a strong candidate who is "
    "happy to be contacted at {email} or on {phone}.",
    open_door={
        "hear": "Perhaps the timing will suit better another time: I would be glad to hear "
        "about future roles{area} at {company}.",
        "stay": "Perhaps the timing will suit better another time: I would be glad to stay in "
        "touch about future roles{area} at {company}.",
    },
    area=" in {area}",
    reply="Could you reply briefly so I know this reached you?",
    sign_offs={
        SignOff.kind_regards: "Kind regards,",
        SignOff.best_regards: "Best regards,",
        SignOff.with_thanks: "With thanks,",
        SignOff.sincerely: "Sincerely,",
    },
    greeting_ends=",",
)

DE = Wording(
    locale="de",
    subject={
        "first": "Einladung zum Vorstellungsgespräch: {title}",
        "follow_up": "Einladung zum weiteren Gespräch: {title}",
    },
    job="die Stelle als {title}",
    job_leads=dict.fromkeys(("stelle", "position", "rolle"), "die"),
    job_tails=("stelle", "position", "rolle"),  # also "Werkstudentenstelle"
    job_tail_article="die",
    thanks=_thanks(
        recruiter__first="vielen Dank für Ihre Einladung zum Vorstellungsgespräch für {job} bei "
        "{company} und für Ihr Interesse an meiner Bewerbung.",
        recruiter__approached="vielen Dank, dass Sie mich auf {job} bei {company} angesprochen "
        "haben, und für die Einladung zum Gespräch.",
        recruiter__follow_up="vielen Dank für die Einladung zu einem weiteren Gespräch über {job} "
        "bei {company} und für Ihre Unterstützung im bisherigen Verfahren.",
        hiring_manager__first="vielen Dank, dass Sie mich für {job} in Ihrem Team bei {company} "
        "in Betracht ziehen.",
        hiring_manager__approached="vielen Dank, dass Sie bei {job} in Ihrem Team bei {company} "
        "an mich gedacht haben.",
        hiring_manager__follow_up="vielen Dank für die Einladung zu einem weiteren Gespräch über "
        "{job} in Ihrem Team bei {company} und für die Zeit, die Sie sich bisher genommen haben.",
        interviewer__first="vielen Dank, dass Sie sich für ein Gespräch über {job} bei {company} "
        "Zeit nehmen wollten.",
        interviewer__approached="vielen Dank, dass Sie sich für ein Gespräch über {job} bei "
        "{company} Zeit nehmen wollten.",
        interviewer__follow_up="vielen Dank für die Zeit, die Sie mir im Auswahlverfahren für "
        "{job} bei {company} widmen.",
        other__first="vielen Dank für die Einladung zum Vorstellungsgespräch für {job} bei "
        "{company}.",
        other__approached="vielen Dank für Ihre Nachricht zu {job} bei {company}.",
        other__follow_up="vielen Dank für die Einladung zu einem weiteren Gespräch über {job} bei "
        "{company}.",
    ),
    decline={
        "first": "Ich möchte die Einladung jedoch dankend absagen.",
        "follow_up": "Ich habe mich jedoch entschieden, meine Bewerbung zurückzuziehen.",
    },
    decline_on={
        "first": "Den Termin am {when} möchte ich jedoch dankend absagen.",
        "follow_up": "Ich habe mich jedoch entschieden, meine Bewerbung zurückzuziehen, und werde "
        "den Termin am {when} nicht wahrnehmen.",
    },
    when="{date}, um {time}\u00a0Uhr{zone}",  # "16:30 Uhr" never split
    dates=("EEEE, d. MMMM", "EEEE, d. MMMM y"),
    short_notice="Bitte entschuldigen Sie die kurzfristige Absage.",
    stories={
        "none": Story(
            None,
            "Der Zeitpunkt passt für mich gerade einfach nicht.",
            "Ich verfolge derzeit andere Möglichkeiten.",
        ),
        "accepted_offer": Story(
            "Ich habe inzwischen ein anderes Angebot angenommen.",
            "Ich habe mich für eine andere Stelle entschieden und möchte mich ganz darauf "
            "konzentrieren.",
            "Auf Einzelheiten möchte ich nicht eingehen, ich danke Ihnen für Ihr Verständnis.",
        ),
        "not_a_fit": Story(
            "Ich bin zu dem Schluss gekommen, dass diese Richtung derzeit nicht die richtige für "
            "mich ist.",
            "Ich möchte meinen nächsten beruflichen Schritt in eine andere Richtung gehen.",
            "Ich verfolge derzeit andere Möglichkeiten.",
        ),
        "timing": Story(
            "Der Zeitpunkt passt für mich gerade nicht.",
            "Bei allem, was in meiner Stellensuche gerade ansteht, könnte ich dem Verfahren "
            "nicht die Aufmerksamkeit widmen, die es verdient.",
            "Ich verfolge derzeit andere Möglichkeiten.",
        ),
        "other_opportunities": Story(
            "Ich habe mich entschieden, mich auf andere Möglichkeiten zu konzentrieren.",
            "Ich führe bereits einige Gespräche, auf die ich mich konzentrieren möchte.",
            "Auf Einzelheiten möchte ich nicht eingehen, ich danke Ihnen für Ihr Verständnis.",
        ),
    },
    referral="Falls es Ihnen bei der Besetzung hilft, empfehle ich Ihnen gern {who}. Sie "
    "erreichen {name} mit Einverständnis privat unter {email}.",
    referral_phone="Falls es Ihnen bei der Besetzung hilft, empfehle ich Ihnen gern {who}. Sie "
    "erreichen {name} mit Einverständnis privat unter {email} oder {phone}.",
    open_door={
        "hear": "Vielleicht passt der Zeitpunkt ein anderes Mal besser: Über künftige "
        "Stellen{area} bei {company} würde ich mich freuen.",
        "stay": "Vielleicht passt der Zeitpunkt ein anderes Mal besser: Gern bleibe ich mit "
        "Ihnen in Kontakt, auch mit Blick auf künftige Stellen{area} bei {company}.",
    },
    area=" im Bereich {area}",
    reply="Bitte bestätigen Sie mir kurz, dass diese Nachricht angekommen ist.",
    sign_offs={
        # German closes without a comma.
        SignOff.kind_regards: "Freundliche Grüße",
        SignOff.best_regards: "Beste Grüße",
        SignOff.with_thanks: "Mit bestem Dank und freundlichen Grüßen",
        SignOff.sincerely: "Mit freundlichen Grüßen",
    },
    greeting_ends=",",
)

NBSP = "\u00a0"  # French sets a no-break space before : ; ? ! and inside « »

FR = Wording(
    locale="fr",
    subject={
        "first": f"Invitation à un entretien{NBSP}: {{title}}",
        "follow_up": f"Invitation à un nouvel entretien{NBSP}: {{title}}",
    },
    job="le poste de {title}",
    job_leads={"poste": "le", "rôle": "le"},
    job_tails=(),
    job_tail_article="",
    thanks=_thanks(
        recruiter__first="Je vous remercie de votre invitation à un entretien pour {job} chez "
        "{company} et de l'attention portée à ma candidature.",
        recruiter__approached="Je vous remercie de votre prise de contact concernant {job} chez "
        "{company}, ainsi que de votre invitation à un entretien.",
        recruiter__follow_up="Je vous remercie de votre invitation à un nouvel entretien pour "
        "{job} chez {company} et de votre accompagnement jusqu'ici.",
        hiring_manager__first="Je vous remercie de l'intérêt que vous portez à ma candidature "
        "pour {job} au sein de votre équipe chez {company}.",
        hiring_manager__approached="Je vous remercie d'avoir pensé à moi pour {job} au sein de "
        "votre équipe chez {company}.",
        hiring_manager__follow_up="Je vous remercie de votre invitation à un nouvel entretien "
        "pour {job} au sein de votre équipe chez {company}, ainsi que du temps que vous m'avez "
        "déjà consacré.",
        interviewer__first="Je vous remercie du temps que vous aviez prévu de me consacrer pour "
        "un entretien concernant {job} chez {company}.",
        interviewer__approached="Je vous remercie du temps que vous aviez prévu de me consacrer "
        "pour un échange concernant {job} chez {company}.",
        interviewer__follow_up="Je vous remercie du temps que vous me consacrez dans le cadre du "
        "recrutement pour {job} chez {company}.",
        other__first="Je vous remercie de votre invitation à un entretien pour {job} chez "
        "{company}.",
        other__approached="Je vous remercie de votre message concernant {job} chez {company}.",
        other__follow_up="Je vous remercie de votre invitation à un nouvel entretien pour {job} "
        "chez {company}.",
    ),
    decline={
        "first": "Je dois toutefois décliner cette invitation.",
        "follow_up": "J'ai toutefois décidé de retirer ma candidature.",
    },
    decline_on={
        "first": "Je dois toutefois décliner l'entretien prévu le {when}.",
        "follow_up": "J'ai toutefois décidé de retirer ma candidature et ne me présenterai pas "
        "à l'entretien du {when}.",
    },
    when="{date} à {time}{zone}",
    dates=("EEEE d MMMM", "EEEE d MMMM y"),
    short_notice="Veuillez m'excuser de vous prévenir si tard.",
    stories={
        "none": Story(
            None,
            "Le moment n'est tout simplement pas le bon pour moi.",
            "Je poursuis d'autres pistes.",
        ),
        "accepted_offer": Story(
            "J'ai en effet accepté une autre offre.",
            "J'ai pris un autre engagement professionnel et je souhaite m'y consacrer pleinement.",
            "Je préfère ne pas entrer dans les détails, merci de votre compréhension.",
        ),
        "not_a_fit": Story(
            "J'ai en effet conclu que cette orientation ne me correspond pas à ce stade de mon "
            "parcours.",
            "Je souhaite donner une autre orientation à la suite de mon parcours.",
            "Je poursuis d'autres pistes.",
        ),
        "timing": Story(
            "Le moment n'est en effet pas le bon pour moi.",
            "Avec tout ce qui m'occupe en ce moment dans ma recherche d'emploi, je ne pourrais "
            "pas y consacrer l'attention nécessaire.",
            "Je poursuis d'autres pistes.",
        ),
        "other_opportunities": Story(
            "J'ai en effet décidé de me concentrer sur d'autres opportunités.",
            "D'autres échanges sont déjà en cours de mon côté, et je souhaite m'y consacrer.",
            "Je préfère ne pas entrer dans les détails, merci de votre compréhension.",
        ),
    },
    referral="Si cela peut vous aider, je vous recommande volontiers {who}, joignable avec son "
    "accord à son adresse personnelle {email}.",
    referral_phone="Si cela peut vous aider, je vous recommande volontiers {who}, joignable avec "
    "son accord à son adresse personnelle {email} ou au {phone}.",
    open_door={
        "hear": f"Le moment sera peut-être plus propice une autre fois{NBSP}: au plaisir "
        "d'échanger sur de futurs postes{area} chez {company}.",
        "stay": f"Le moment sera peut-être plus propice une autre fois{NBSP}: au plaisir de "
        "rester en contact pour de futurs postes{area} chez {company}.",
    },
    area=" en {area}",
    reply=f"Pourriez-vous me confirmer d'un mot la bonne réception de ce message{NBSP}?",
    sign_offs={
        SignOff.kind_regards: "Bien cordialement,",
        SignOff.best_regards: "Cordialement,",
        SignOff.with_thanks: "Avec mes remerciements,",
        SignOff.sincerely: "Salutations distinguées,",
    },
    greeting_ends=",",
)

ES = Wording(
    locale="es",
    subject={
        "first": "Invitación a entrevista: {title}",
        "follow_up": "Invitación a una nueva entrevista: {title}",
    },
    job="el puesto de {title}",
    job_leads={"puesto": "el", "vacante": "la", "posición": "la"},
    job_tails=(),
    job_tail_article="",
    thanks=_thanks(
        recruiter__first="Le agradezco la invitación a una entrevista para {job} en {company}, "
        "así como el interés en mi candidatura.",
        recruiter__approached="Le agradezco que se haya puesto en contacto conmigo en relación "
        "con {job} en {company}, así como la invitación a una entrevista.",
        recruiter__follow_up="Le agradezco la invitación a una nueva entrevista para {job} en "
        "{company} y su ayuda durante el proceso.",
        hiring_manager__first="Le agradezco que me tenga en cuenta para {job} en su equipo de "
        "{company}.",
        hiring_manager__approached="Le agradezco que haya pensado en mí para {job} en su equipo "
        "de {company}.",
        hiring_manager__follow_up="Le agradezco la invitación a una nueva entrevista para {job} "
        "en su equipo de {company}, así como el tiempo que me ha dedicado.",
        interviewer__first="Le agradezco el tiempo que tenía previsto dedicarme en la entrevista "
        "para {job} en {company}.",
        interviewer__approached="Le agradezco el tiempo que tenía previsto dedicarme para hablar "
        "de {job} en {company}.",
        interviewer__follow_up="Le agradezco el tiempo que me dedica en el proceso de selección "
        "para {job} en {company}.",
        other__first="Le agradezco la invitación a una entrevista para {job} en {company}.",
        other__approached="Le agradezco su mensaje en relación con {job} en {company}.",
        other__follow_up="Le agradezco la invitación a una nueva entrevista para {job} en "
        "{company}.",
    ),
    decline={
        "first": "Sin embargo, debo declinar esta invitación.",
        "follow_up": "Sin embargo, he decidido retirar mi candidatura.",
    },
    decline_on={
        "first": "Sin embargo, debo declinar la entrevista prevista para el {when}.",
        "follow_up": "Sin embargo, he decidido retirar mi candidatura y no asistiré a la "
        "entrevista del {when}.",
    },
    when="{date}, a las {time}{zone}",
    dates=("EEEE d 'de' MMMM", "EEEE d 'de' MMMM 'de' y"),
    short_notice="Disculpe que le avise con tan poca antelación.",
    stories={
        "none": Story(
            None,
            "Sencillamente, el momento no es el adecuado para mí.",
            "Estoy valorando otras oportunidades.",
        ),
        "accepted_offer": Story(
            "He aceptado otra oferta.",
            "Me he comprometido con otro puesto y quiero dedicarle toda mi atención.",
            "Prefiero no entrar en detalles; gracias por su comprensión.",
        ),
        "not_a_fit": Story(
            "He concluido que esta orientación no es la adecuada para mí en este momento de mi "
            "carrera.",
            "Quiero orientar mi próximo paso profesional en otra dirección.",
            "Estoy valorando otras oportunidades.",
        ),
        "timing": Story(
            "El momento no es el adecuado para mí.",
            "Con todo lo que tengo en marcha en mi búsqueda de empleo, no podría dedicarle la "
            "atención que merece.",
            "Estoy valorando otras oportunidades.",
        ),
        "other_opportunities": Story(
            "He decidido centrarme en otras oportunidades.",
            "Tengo otras conversaciones en curso a las que quiero dedicar mi atención.",
            "Prefiero no entrar en detalles; gracias por su comprensión.",
        ),
    },
    referral="Por si le resulta útil, le recomiendo a {who}, con quien puede contactar, con su "
    "permiso, en su correo personal: {email}.",
    referral_phone="Por si le resulta útil, le recomiendo a {who}, con quien puede contactar, "
    "con su permiso, en su correo personal, {email}, o en el {phone}.",
    open_door={
        "hear": "Quizá en otra ocasión el momento sea más propicio: me encantaría tener noticias "
        "suyas sobre futuros puestos{area} en {company}.",
        "stay": "Quizá en otra ocasión el momento sea más propicio: me encantaría seguir en "
        "contacto de cara a futuros puestos{area} en {company}.",
    },
    area=" de {area}",
    reply="¿Podría confirmarme brevemente que ha recibido este mensaje?",
    sign_offs={
        SignOff.kind_regards: "Un cordial saludo,",
        SignOff.best_regards: "Saludos cordiales,",
        SignOff.with_thanks: "Con mi agradecimiento,",
        SignOff.sincerely: "Atentamente,",
    },
    greeting_ends=":",
)

WORDING = {Language.en: EN, Language.de: DE, Language.fr: FR, Language.es: ES}

# English words that say "position" after a title: languages that frame the title with their
# own word for it leave the English one out ("Data Scientist role" -> "le poste de Data
# Scientist").
_ENGLISH_TAILS = EN.job_tails


def job_phrase(language: Language, title: str) -> str:
    """The job as a sentence names it: "the Data Scientist position", but "the Data
    Scientist role"; "die Stelle als …", but "die Werkstudentenstelle"."""
    wording = WORDING[language]
    words = title.split()
    first, last = words[0].casefold(), words[-1].casefold()
    compounds = language is Language.de  # "Werkstudentenstelle": the noun ends the word
    lead = _ending_in(first, wording.job_leads, compounds=compounds)
    if len(words) > 1 and lead is not None:  # "Poste de …", "Stelle als …"
        written = words[0] if compounds else words[0].lower()  # German nouns keep capitals
        return " ".join([wording.job_leads[lead], written, *words[1:]])
    if _ending_in(last, wording.job_tails, compounds=compounds) is not None:  # "… role"
        return f"{wording.job_tail_article} {title}"
    if len(words) > 1 and last in _ENGLISH_TAILS:
        title = " ".join(words[:-1])
    phrase = wording.job.format(title=title)
    if language is Language.fr and title[:1].casefold() in _FRENCH_VOWELS:
        phrase = phrase.replace(" de " + title, " d'" + title, 1)  # "le poste d'Ingénieure"
    return phrase


_FRENCH_VOWELS = frozenset("aeiouyàâäéèêëîïôöùûüœæ")


def _ending_in(word: str, endings: Iterable[str], *, compounds: bool) -> str | None:
    """The ending `word` is, or (for compounds) ends with."""
    return next((e for e in endings if word == e or (compounds and word.endswith(e))), None)
