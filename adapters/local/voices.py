"""What the playground's colleagues write: comments and free-text answers per workstream.

Each workstream of the example program has a few recurring themes (for the LMS rollout: search,
the mobile app, course recommendations, time to learn), and every line belongs to one theme and
has one tone. Lines are chosen by the tone of the answer they go with (a 2 out of 5 comes with a
negative comment), so the share of positive and negative comments follows the scores. A line's
tone is the tone the product computes for it (``surveys.sentiment``: above 0.1 positive, below
-0.1 negative); a test checks every line. Some lines only fit some questions (a remark about the
course pace goes with the pace question); ``fits`` says which, empty meaning any commentable
question of the workstream. Workstreams of another program get the generic voices.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Tone = Literal["positive", "neutral", "negative"]
TONES: tuple[Tone, ...] = ("positive", "neutral", "negative")


@dataclass(frozen=True)
class Line:
    """One thing a colleague might write, about one theme, in one tone."""

    theme: str
    tone: Tone
    text: str
    fits: tuple[str, ...] = ()  # question ids; empty: any question of the workstream


@dataclass(frozen=True)
class Voices:
    """A workstream's themes (each with the words that mark it), comments and text answers."""

    themes: dict[str, tuple[str, ...]]
    comments: tuple[Line, ...]
    answers: dict[str, tuple[Line, ...]]  # free-text question id -> answers

    def comments_for(self, question_id: str, tone: Tone, theme: str | None = None) -> list[Line]:
        """Lines of ``tone`` that fit ``question_id``, of ``theme`` when given."""
        return [
            line
            for line in self.comments
            if line.tone == tone
            and (not line.fits or question_id in line.fits)
            and (theme is None or line.theme == theme)
        ]


def _lines(theme: str, tone: Tone, *texts: str, fits: Sequence[str] = ()) -> tuple[Line, ...]:
    return tuple(Line(theme, tone, text, tuple(fits)) for text in texts)


def _answers(theme: str, *texts: str) -> tuple[Line, ...]:
    return _lines(theme, "neutral", *texts)


LMS = Voices(
    themes={
        "search": ("search",),
        "mobile app": ("mobile app",),
        "course recommendations": ("course recommendations",),
        "time to learn": ("time to learn",),
    },
    comments=(
        *_lines(
            "search",
            "positive",
            "Search is much better since the update, I found the Excel course in seconds.",
            "The new search filters are great, I can narrow it down to short courses.",
        ),
        *_lines(
            "search",
            "neutral",
            "Search works when I type the course code, otherwise I browse the catalog by topic.",
            "I used search twice this week and ended up asking a colleague for the course link.",
        ),
        *_lines(
            "search",
            "negative",
            "Search is poor and buries the courses for my role under outdated compliance modules.",
            "Search results are confusing, three courses with the same name and no way to tell "
            "them apart.",
        ),
        *_lines(
            "mobile app",
            "positive",
            "The mobile app is great for the short videos on my break.",
            "Finished a whole module on the mobile app during my commute, really easy.",
        ),
        *_lines(
            "mobile app",
            "neutral",
            "I use the mobile app for videos and the desktop site for compliance training.",
            "I would use the mobile app if it could download videos for offline use.",
        ),
        *_lines(
            "mobile app",
            "negative",
            "The mobile app logs me out every time, which is annoying, so I gave up on it.",
            "Videos in the mobile app keep buffering on the plant wifi, very frustrating.",
        ),
        *_lines(
            "course recommendations",
            "positive",
            "The course recommendations are spot on, the quality module it suggested was useful.",
            "Good course recommendations this week, it picked up that I moved to planning.",
        ),
        *_lines(
            "course recommendations",
            "neutral",
            "The course recommendations are compliance refreshers I have already done.",
            "I have not looked at the course recommendations yet.",
        ),
        *_lines(
            "course recommendations",
            "negative",
            "Course recommendations are useless for my job, all sales courses for a machinist.",
            "The course recommendations keep pushing the same safety video, it is annoying.",
        ),
        *_lines(
            "time to learn",
            "positive",
            "My manager blocked Friday afternoons, a good way to get time to learn.",
            "Ten minutes a day works well, easy to find time to learn that way.",
        ),
        *_lines(
            "time to learn",
            "neutral",
            "I only have time to learn after my shift ends.",
            "Time to learn depends on the week, month-end is always packed.",
        ),
        *_lines(
            "time to learn",
            "negative",
            "There is no time to learn during a shift, the line cannot stop and it is frustrating.",
            "Finding time to learn is difficult with our backlog.",
        ),
        *_lines(
            "mobile app",
            "positive",
            "I would recommend it to my team for the how-to videos in the mobile app, "
            "they are excellent.",
            fits=("lms-recommend",),
        ),
        *_lines(
            "search",
            "negative",
            "Would not recommend it yet, search is poor and finding the course I need takes ages.",
            fits=("lms-recommend",),
        ),
    ),
    answers={
        "lms-blockers": (
            *_answers(
                "search",
                "Could not find the forklift refresher with search.",
                "Search results were full of old compliance courses.",
            ),
            *_answers(
                "mobile app",
                "The mobile app would not load on the plant wifi.",
                "The mobile app logged me out in the middle of a video.",
            ),
            *_answers(
                "time to learn",
                "No time to learn between shifts, month-end took the whole week.",
                "A two-hour course does not fit in a break, so no time to learn.",
            ),
            *_answers(
                "course recommendations",
                "The course recommendations were all sales courses.",
                "I did not know where to start, the course recommendations were not for my role.",
            ),
        ),
    },
)

LEADERSHIP = Voices(
    themes={
        "one-to-ones": ("one-to-one",),
        "feedback": ("feedback",),
        "time to learn": ("time to learn",),
        "career path": ("career",),
    },
    comments=(
        *_lines(
            "one-to-ones",
            "positive",
            "Our monthly one-to-one now starts with my development plan, a great change.",
            "My manager asked about my goals in our one-to-one, a really good conversation.",
        ),
        *_lines(
            "one-to-ones",
            "neutral",
            "We had one one-to-one this month, about the project schedule.",
            "My one-to-one moved twice this month because of the audit.",
        ),
        *_lines(
            "one-to-ones",
            "negative",
            "My one-to-one was cancelled again, hard to talk about growth with no time together.",
            "The one-to-one is a status update, never about development, which is disappointing.",
        ),
        *_lines(
            "feedback",
            "positive",
            "The feedback on my report was specific and helpful, I knew exactly what to fix.",
            "Good feedback after the customer visit, clear and kind.",
            fits=(
                "leadership-useful-feedback",
                "leadership-growth-conversation",
                "leadership-support-wish",
            ),
        ),
        *_lines(
            "feedback",
            "neutral",
            "I got feedback once this month, during the review of the line changeover.",
            "Feedback comes by email once the job is finished.",
            fits=(
                "leadership-useful-feedback",
                "leadership-growth-conversation",
                "leadership-support-wish",
            ),
        ),
        *_lines(
            "feedback",
            "negative",
            "Feedback is vague and comes too late to be useful.",
            "Hardly any feedback this month, I had to guess what my manager expected, which is "
            "frustrating.",
            fits=(
                "leadership-useful-feedback",
                "leadership-growth-conversation",
                "leadership-support-wish",
            ),
        ),
        *_lines(
            "time to learn",
            "positive",
            "My manager protects two hours a week for time to learn, it makes a real difference.",
            "Great to have time to learn approved without having to ask twice.",
            fits=(
                "leadership-time-to-learn",
                "leadership-growth-conversation",
                "leadership-support-wish",
            ),
        ),
        *_lines(
            "time to learn",
            "neutral",
            "Time to learn is allowed in principle, in practice it depends on the workload.",
            "I booked the course myself and my manager signed off the time to learn.",
            fits=(
                "leadership-time-to-learn",
                "leadership-growth-conversation",
                "leadership-support-wish",
            ),
        ),
        *_lines(
            "time to learn",
            "negative",
            "Every time I plan time to learn, something urgent comes up and it gets dropped, "
            "which is annoying.",
            "Time to learn is the first thing cut when we are behind, which is frustrating.",
            fits=(
                "leadership-time-to-learn",
                "leadership-growth-conversation",
                "leadership-support-wish",
            ),
        ),
        *_lines(
            "career path",
            "positive",
            "Great talk about my career path, I now know the next step.",
            "Good to hear my manager supports the move to a team lead career track.",
            fits=("leadership-growth-conversation", "leadership-support-wish"),
        ),
        *_lines(
            "career path",
            "neutral",
            "We talked about career options briefly at the end of the meeting.",
            "My manager said we would look at my career plan in the spring.",
            fits=("leadership-growth-conversation", "leadership-support-wish"),
        ),
        *_lines(
            "career path",
            "negative",
            "Career progression never comes up, it feels like a dead end.",
            "The career path for technicians is unclear and my manager could not explain it, "
            "disappointing.",
            fits=("leadership-growth-conversation", "leadership-support-wish"),
        ),
    ),
    answers={},
)

RESPECT = Voices(
    themes={
        "meetings": ("meetings",),
        "shift handover": ("shift handover",),
        "speaking up": ("speak up",),
        "newcomers": ("newcomers",),
    },
    comments=(
        *_lines(
            "meetings",
            "positive",
            "Our team lead now makes sure everyone is heard in meetings, a great change.",
            "Meetings feel more respectful, people wait their turn and the quiet ones get asked "
            "too.",
        ),
        *_lines(
            "meetings",
            "neutral",
            "Meetings are about the same as before, a few people still do most of the talking.",
            "We now take questions from everyone before meetings end.",
        ),
        *_lines(
            "meetings",
            "negative",
            "I was talked over again in planning meetings this week, which felt rude.",
            "In meetings the same voices dominate and others get ignored, which is frustrating.",
        ),
        *_lines(
            "shift handover",
            "positive",
            "The shift handover is calmer and more polite since the training.",
            "Good atmosphere at the shift handover this week, people thanked each other.",
        ),
        *_lines(
            "shift handover",
            "neutral",
            "The shift handover covers numbers and open issues, not much else.",
            "We moved the shift handover to the meeting room so everyone can hear.",
        ),
        *_lines(
            "shift handover",
            "negative",
            "The shift handover can get heated when the line is behind, people snap at each other.",
            "Rude comments at the shift handover are still brushed off as banter.",
        ),
        *_lines(
            "speaking up",
            "positive",
            "I raised a safety concern last week and it was handled well, I feel safe to speak up.",
            "Good to see leaders thank people who speak up.",
        ),
        *_lines(
            "speaking up",
            "neutral",
            "I know the process to speak up, I have not needed it yet.",
            "Some people speak up, others wait to see how a concern is handled.",
        ),
        *_lines(
            "speaking up",
            "negative",
            "People are afraid to speak up because the last complaint went nowhere.",
            "Hard to speak up when the person involved is your supervisor.",
        ),
        *_lines(
            "newcomers",
            "positive",
            "Newcomers get a buddy now, they seem much more welcome.",
            "The newcomers on our team were included in the team lunch, a nice touch.",
        ),
        *_lines(
            "newcomers",
            "neutral",
            "Three newcomers joined this month, we are still getting to know them.",
            "Newcomers shadow the shift lead during their induction week.",
        ),
        *_lines(
            "newcomers",
            "negative",
            "Newcomers are left alone on nights and nobody explains how things work, which is "
            "unfair.",
            "Jokes at the expense of newcomers still happen, and that is wrong.",
        ),
    ),
    answers={
        "respect-one-thing": (
            *_answers(
                "meetings",
                "Let everyone finish their point in meetings.",
                "Ask the quiet people in meetings what they think.",
            ),
            *_answers(
                "shift handover",
                "Rotate who leads the shift handover.",
                "Keep the shift handover to facts, no comments about the other shift.",
            ),
            *_answers(
                "speaking up",
                "Thank people who speak up instead of going quiet.",
                "Tell us what happened after someone raised a concern, so we know it is safe to "
                "speak up.",
            ),
            *_answers(
                "newcomers",
                "Introduce newcomers to the whole shift on their first day.",
                "Invite newcomers and the night shift to team events.",
            ),
        ),
    },
)

SECURITY = Voices(
    themes={
        "phishing": ("phishing",),
        "invoice scams": ("invoice scam",),
        "micro-lessons": ("micro-lesson",),
        "file sharing": ("file sharing",),
        "password manager": ("password manager",),
    },
    comments=(
        *_lines(
            "phishing",
            "positive",
            "The phishing simulation was a good wake-up call, I check sender addresses now.",
            "Glad the phishing examples now include text messages, very relevant.",
            fits=("security-spot-phishing", "security-lesson-relevant"),
        ),
        *_lines(
            "phishing",
            "neutral",
            "I reported one phishing email this week and IT said it was a test.",
            "The phishing examples were about email, what I get is on Teams.",
            fits=("security-spot-phishing", "security-lesson-relevant"),
        ),
        *_lines(
            "phishing",
            "negative",
            "Fell for the phishing test and felt stupid, the email looked exactly like a real "
            "order.",
            "The lessons ignore phishing texts to work phones, a serious gap.",
            fits=("security-spot-phishing", "security-lesson-relevant"),
        ),
        *_lines(
            "invoice scams",
            "positive",
            "The invoice scam examples were great, I now check bank details twice.",
            "Spotting an invoice scam is easier after the examples from our own suppliers.",
            fits=("security-spot-phishing", "security-lesson-relevant"),
        ),
        *_lines(
            "invoice scams",
            "neutral",
            "We went through the invoice scam checklist in the team meeting.",
            "Accounts now call the supplier back before changing bank details, after the invoice "
            "scam lesson.",
            fits=("security-spot-phishing", "security-lesson-relevant"),
        ),
        *_lines(
            "invoice scams",
            "negative",
            "An invoice scam got through to approval last month, which is bad and embarrassing.",
            "An invoice scam with a copied supplier letterhead is hard to spot.",
            fits=("security-spot-phishing", "security-lesson-relevant"),
        ),
        *_lines(
            "micro-lessons",
            "positive",
            "This month's micro-lesson was short and relevant, good examples.",
            "The micro-lesson on QR code scams was short and useful.",
            fits=("security-spot-phishing", "security-lesson-relevant"),
        ),
        *_lines(
            "micro-lessons",
            "neutral",
            "I did the micro-lesson on my phone in five minutes.",
            "The micro-lesson this month was about QR codes in emails.",
            fits=("security-spot-phishing", "security-lesson-relevant"),
        ),
        *_lines(
            "micro-lessons",
            "negative",
            "The micro-lesson was too general for the plant, nothing about machine PCs, a bit "
            "disappointing.",
            "Another micro-lesson about passwords, boring after the third time.",
            fits=("security-spot-phishing", "security-lesson-relevant"),
        ),
        *_lines(
            "file sharing",
            "positive",
            "Clear rules on file sharing with suppliers now, very useful.",
            "The file sharing portal is easy, I send drawings to suppliers without email now.",
            fits=("security-know-where-data-goes", "security-lesson-relevant"),
        ),
        *_lines(
            "file sharing",
            "neutral",
            "I asked IT which file sharing tool to use for drawings, they pointed me to the "
            "portal.",
            "File sharing with customers goes through the portal since last month.",
            fits=("security-know-where-data-goes", "security-lesson-relevant"),
        ),
        *_lines(
            "file sharing",
            "negative",
            "File sharing rules are confusing, the portal and the policy say different things.",
            "Hard to follow the file sharing policy when suppliers insist on email attachments.",
            fits=("security-know-where-data-goes", "security-lesson-relevant"),
        ),
        *_lines(
            "password manager",
            "positive",
            "The password manager makes logging in much easier.",
            "Great that the password manager now works on the shop-floor tablets.",
            fits=("security-know-where-data-goes", "security-lesson-relevant"),
        ),
        *_lines(
            "password manager",
            "neutral",
            "Still moving my accounts into the password manager.",
            "Our team shares the supplier portal login through the password manager now.",
            fits=("security-know-where-data-goes", "security-lesson-relevant"),
        ),
        *_lines(
            "password manager",
            "negative",
            "The password manager keeps asking me to log in again, annoying when you use three "
            "systems.",
            "Nobody explained how to share a password manager vault, so the team keeps passwords "
            "in a spreadsheet, a bad habit.",
            fits=("security-know-where-data-goes", "security-lesson-relevant"),
        ),
    ),
    answers={
        "security-next-topic": (
            *_answers(
                "invoice scams",
                "How to check that a supplier's change of bank details is not an invoice scam.",
                "Who to call when an invoice scam reaches accounts.",
            ),
            *_answers(
                "phishing",
                "What to do in the first minutes after clicking a phishing link.",
                "Are QR codes in phishing emails a real risk on a work phone?",
            ),
            *_answers(
                "file sharing",
                "Which file sharing tool to use for drawings with a new supplier.",
                "How to share customer data with a contractor without breaking the file sharing "
                "rules.",
            ),
            *_answers(
                "password manager",
                "Is it safe to use the password manager on my personal phone?",
                "How to share a password manager vault with the team.",
            ),
        ),
    },
)

TECHNICAL_PACE = ("technical-course-pace", "technical-recommend")

TECHNICAL = Voices(
    themes={
        "hands-on practice": ("hands-on practice",),
        "ERP": ("ERP",),
        "course pace": ("pace",),
        "shift schedule": ("shift",),
    },
    comments=(
        *_lines(
            "hands-on practice",
            "positive",
            "The hands-on practice on the new CNC was excellent, I ran my first setup alone on "
            "Thursday.",
            "More hands-on practice this week, it finally clicked.",
        ),
        *_lines(
            "hands-on practice",
            "neutral",
            "Hands-on practice was booked for Tuesday and moved to next week.",
            "Hands-on practice depends on which machine is running.",
        ),
        *_lines(
            "hands-on practice",
            "negative",
            "Too many slides, not enough hands-on practice, it gets boring for a machining course.",
            "Hands-on practice keeps getting cancelled when production is behind, frustrating.",
        ),
        *_lines(
            "ERP",
            "positive",
            "The ERP training on goods receipt was practical and very clear.",
            "Finally confident posting production orders in the ERP.",
        ),
        *_lines(
            "ERP",
            "neutral",
            "We covered the ERP inventory screens this week.",
            "I use the ERP for work orders only, so half the module does not apply to me.",
        ),
        *_lines(
            "ERP",
            "negative",
            "The ERP module is confusing, the test system looks different from the one we use.",
            "ERP training uses examples from another plant, hard to relate to our parts.",
        ),
        *_lines(
            "course pace",
            "positive",
            "Good pace, enough time to try each step before moving on.",
            "The pace is just right, the trainer checks everyone is with him before going on.",
            fits=TECHNICAL_PACE,
        ),
        *_lines(
            "course pace",
            "neutral",
            "The pace suits me, some of the group would like extra time.",
            "Pace is set by the trainer, we follow the module plan.",
            fits=TECHNICAL_PACE,
        ),
        *_lines(
            "course pace",
            "negative",
            "The pace is rushed, the quality tools were crammed into one afternoon and it was "
            "confusing.",
            "The pace is too slow and boring in the first modules.",
            fits=TECHNICAL_PACE,
        ),
        *_lines(
            "shift schedule",
            "positive",
            "Great that sessions now run at the start of the late shift too.",
            "Good to have the recording for the night shift, I caught up on Sunday.",
        ),
        *_lines(
            "shift schedule",
            "neutral",
            "The sessions are on the early shift, I work lates so I watch the recording.",
            "I swapped a shift to attend the quality session.",
        ),
        *_lines(
            "shift schedule",
            "negative",
            "Sessions clash with my shift, I missed two in a row, annoying.",
            "Night shift gets no trainer at all, we are always last in line, which feels unfair.",
        ),
        *_lines(
            "hands-on practice",
            "positive",
            "I would recommend it to any new setter, the hands-on practice is excellent.",
            fits=("technical-recommend",),
        ),
        *_lines(
            "hands-on practice",
            "negative",
            "Hard to recommend while the hands-on practice keeps getting cancelled.",
            fits=("technical-recommend",),
        ),
    ),
    answers={
        "technical-skill-gap": (
            *_answers(
                "hands-on practice",
                "Five-axis CNC programming, with hands-on practice on our own parts.",
                "Setting up the new robot cell, it needs hands-on practice, not slides.",
            ),
            *_answers(
                "ERP",
                "ERP production orders, I still need help posting scrap.",
                "ERP stock transfers between the two sites.",
            ),
            *_answers(
                "quality",
                "Reading GD&T on the new drawings.",
                "Statistical process control for the new quality checks.",
            ),
            *_answers(
                "shift schedule",
                "Faster changeovers on line 3, so each shift starts on time.",
                "Preventive maintenance on the presses for the night shift.",
            ),
        ),
    },
)

SOFT_SKILLS = Voices(
    themes={
        "feedback": ("feedback",),
        "meetings": ("meetings",),
        "customer calls": ("customer call",),
        "role play": ("role play",),
    },
    comments=(
        *_lines(
            "feedback",
            "positive",
            "I used the feedback model with a colleague and it went really well.",
            "Giving feedback feels natural now, the workshop examples were great.",
        ),
        *_lines(
            "feedback",
            "neutral",
            "Tried the feedback structure once, will see how it goes next time.",
            "Still thinking about how to give feedback to my supervisor.",
        ),
        *_lines(
            "feedback",
            "negative",
            "Giving feedback to a peer went badly, the model felt awkward.",
            "Hard to give feedback when people take it personally.",
        ),
        *_lines(
            "meetings",
            "positive",
            "Our stand-up meetings are shorter and better since we agreed on an agenda.",
            "Summarizing actions at the end of meetings works great, nobody has to chase.",
        ),
        *_lines(
            "meetings",
            "neutral",
            "I tried summarizing actions at the close of meetings, the team followed it.",
            "We now send the agenda a day before our meetings.",
        ),
        *_lines(
            "meetings",
            "negative",
            "Meetings still run over and nobody follows the agenda, tiring and frustrating.",
            "Long meetings with no outcome, the workshop tips are hard to apply when you are not "
            "chairing.",
        ),
        *_lines(
            "customer calls",
            "positive",
            "A tense customer call went well because I listened first, great tip.",
            "I felt confident on a customer call about a late order, the steps really helped.",
        ),
        *_lines(
            "customer calls",
            "neutral",
            "My customer calls are routine, so I have not used it there yet.",
            "I prepared my questions before a customer call, as in the workshop.",
        ),
        *_lines(
            "customer calls",
            "negative",
            "Customer calls about late deliveries are still hard, the workshop did not cover that.",
            "A customer call went badly this week and I froze, the steps did not help.",
        ),
        *_lines(
            "role play",
            "positive",
            "The role play felt like a real conversation with a customer, very useful.",
            "Great role play exercise, I would do it again.",
        ),
        *_lines(
            "role play",
            "neutral",
            "We did a role play on giving feedback in pairs.",
            "The role play next month is about handling complaints.",
        ),
        *_lines(
            "role play",
            "negative",
            "The role play felt forced and awkward, I did not learn much from it.",
            "Too much role play and no real examples, a bit boring.",
        ),
    ),
    answers={
        "soft-skills-moment": (
            *_answers(
                "customer calls",
                "I listened first during a tense customer call and it calmed down.",
                "On a customer call about a late order I summarized what I heard before answering.",
            ),
            *_answers(
                "meetings",
                "Summarized the actions at the end of our meetings and nobody had to chase.",
                "Asked for one decision per agenda item and our meetings ended on time.",
            ),
            *_answers(
                "feedback",
                "Gave feedback to a peer using the model, it went better than expected.",
                "Asked my supervisor for feedback on my report instead of waiting.",
            ),
            *_answers(
                "role play",
                "Used the opening from the role play in a real disagreement about the schedule.",
                "Paused before replying in a heated chat, as we practiced in the role play.",
            ),
        ),
    },
)

GENERIC = Voices(
    themes={
        "time to learn": ("time to learn",),
        "course content": ("course",),
        "manager support": ("manager",),
    },
    comments=(
        *_lines(
            "time to learn",
            "positive",
            "Good to have time to learn this week, I finished a module.",
            "Ten minutes a day works well, easy to find time to learn that way.",
        ),
        *_lines("time to learn", "neutral", "I only have time to learn after my shift ends."),
        *_lines(
            "time to learn",
            "negative",
            "No time to learn this week, the audit was exhausting.",
            "Finding time to learn is difficult with our backlog.",
        ),
        *_lines(
            "course content",
            "positive",
            "Great course this week, clear and practical.",
            "Good examples in the course from our own plant, easy to follow.",
        ),
        *_lines(
            "course content",
            "neutral",
            "I did one course this week, on the updated quality procedure.",
            "Some of the course content applies to my role, some does not.",
        ),
        *_lines(
            "course content",
            "negative",
            "The course was too long and the quiz was confusing.",
        ),
        *_lines(
            "manager support",
            "positive",
            "My manager made time for this and it made a real difference.",
        ),
        *_lines(
            "manager support",
            "neutral",
            "My manager and I talked about it briefly in our weekly meeting.",
        ),
        *_lines(
            "manager support",
            "negative",
            "My manager cancelled the session twice, which is frustrating.",
        ),
    ),
    answers={},
)

GENERIC_ANSWERS = _answers(
    "time to learn",
    "Time. Meetings took most of the week.",
    "Shift changes meant I could not get to the training room.",
    "More examples from our own machines would help.",
    "Pairing with someone more experienced for an afternoon.",
)

BY_WORKSTREAM: dict[str, Voices] = {
    "lms": LMS,
    "leadership": LEADERSHIP,
    "respect": RESPECT,
    "security": SECURITY,
    "technical": TECHNICAL,
    "soft-skills": SOFT_SKILLS,
}


def voices_of(workstream_id: str) -> Voices:
    """The voices of a workstream of the example program, else the generic ones."""
    return BY_WORKSTREAM.get(workstream_id, GENERIC)


def text_answers(workstream_id: str, question_id: str) -> tuple[Line, ...]:
    """The free-text answers that fit ``question_id``; generic ones for another program."""
    return voices_of(workstream_id).answers.get(question_id) or GENERIC_ANSWERS
