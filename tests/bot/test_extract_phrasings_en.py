"""English phrasings added to bot/nlu/lexicon/en.yml: worries in parents' own words, a bare
grade followed by its year, danger that an ordinary block used to hide, and everyday idioms
and school letters with a frightening word that are not a crisis."""
import pytest

from bot.nlu import extract as ex


# --------------------------------------------------------------------------- topics
@pytest.mark.parametrize(
    "text,expected",
    [
        # 1A: report-card language, missing work, a failed subject
        ("the report card says he's below standard in math", "1A"),
        ("she is not meeting standards in writing", "1A"),
        ("his english language arts grade is low", "1A"),
        ("ela is her hardest class", "1A"),
        ("he has 7 missing assignments in history", "1A"),
        ("she flunked the science test again", "1A"),
        # 1C: a failed class that cannot be made up (credit recovery)
        ("he failed geometry and they say he can't make it up", "1C"),
        ("she has to make them up next summer", "1C"),
        ("the counselor said there's no way to make it up", "1C"),
        # 1D
        ("she wants to go to la universidad someday", "1D"),
        # 2A: drills of every kind; LGBTQ students
        ("the intruder drill upset him, how do they get kids ready", "2A"),
        ("how does the school prepare students for earthquakes", "2A"),
        ("do they protect lgbtq students here", "2A"),
        # 2B
        ("the lonche is always cold", "2B"),
        # 2C: left out, no one to play with
        ("the girls leave her out every day", "2C"),
        ("nobody wants to be his friend", "2C"),
        ("the other kids won't play with her", "2C"),
        ("no one wants to sit with my son at lunch", "2C"),
        ("she eats alone every day", "2C"),
        ("nobody lets him join their games", "2C"),
        # 2D: rough counts, late every single morning, a missed first class, the letter
        ("he's missed about 12 days so far", "2D"),
        ("she has missed at least 9 days", "2D"),
        ("he's missing a ton of school", "2D"),
        ("she's late every single morning", "2D"),
        ("he keeps missing second period", "2D"),
        ("she misses her first class a lot", "2D"),
        ("we got a chronic absenteeism notice", "2D"),
        ("the attendance letter came yesterday", "2D"),
        # 3A: the teacher and the parent, parents kept off campus
        ("the teacher doesn't like my kid", "3A"),
        ("her teacher won't talk to me", "3A"),
        ("i think the teacher has something against us", "3A"),
        ("they don't let parents on campus now", "3A"),
        ("parents aren't allowed inside the school anymore", "3A"),
        ("we feel shut out by the school", "3A"),
        ("i rarely hear from his teacher", "3A"),
        ("i never hear anything from her teacher", "3A"),
        ("my relationship with my daughter's teacher is not good", "3A"),
        # 3B: interpreters, getting hold of anyone, finding out the same day
        ("there is no interpreter at the school meetings", "3B"),
        ("never any translation at the elac meetings", "3B"),
        ("it's so hard to get info from the office", "3B"),
        ("i can never get ahold of the principal", "3B"),
        ("the office never answers", "3B"),
        ("we found out about the assembly the day of", "3B"),
        ("everything they send home is in english", "3B"),
        ("we never know what's happening over there", "3B"),
        # more 2C and 2D in other words
        ("he blows up over nothing", "2C"),
        ("she has a bad temper", "2C"),
        ("tardiness", "2D"),
        ("he fakes being sick to stay home", "2D"),
        # the eighth set's round: subs, teachers, belonging, drills, grief, absences, voice, information
        # 1A: a run of substitutes, a class out of control, a worn-out teacher, the principal
        # in the classrooms, a report of all Ds
        ("she has had 5 different subs in english this year", "1A"),
        ("a different substitute every week in his science class", "1A"),
        ("the classroom is out of control and nobody stops it", "1A"),
        ("her teacher is checked out and the kids do whatever they want", "1A"),
        ("does the assistant principal ever walk into classrooms during lessons", "1A"),
        ("i'd like someone to observe how the teachers teach reading", "1A"),
        ("he brought home straight ds this quarter", "1A"),
        ("her grades slipped a lot after winter break", "1A"),
        # 1B: a language program by its language, getting into magnet or gifted
        ("does any school nearby have a japanese immersion track", "1B"),
        ("how do kids get into the magnet here", "1B"),
        ("she missed the gate cutoff and we want a retest", "1B"),
        ("he's totally bored in class, the work is too easy", "1B"),
        # 1C: pulled out of the regular class, an ignored plan, cancelled services,
        # newcomers, no home
        ("they pull her out of the general ed classroom every afternoon", "1C"),
        ("his accommodations are being ignored by the sub", "1C"),
        ("the school keeps cancelling her therapy minutes", "1C"),
        ("is there a newcomer program for kids from guatemala", "1C"),
        ("we're living out of our van right now, can the school help", "1C"),
        ("we are homeless and he keeps changing schools", "1C"),
        # 1D: what the child wants to be
        ("my son wants to become a mechanic one day", "1D"),
        ("she dreams of becoming a pilot", "1D"),
        ("he wants to study engineering in college someday", "1D"),
        ("what classes should she take if she likes medicine", "1D"),
        # 2A: a gay or trans child, mocking and roasting, drills, belonging
        ("my daughter is bisexual and some kids are cruel about it", "2A"),
        ("will the teachers have her back if kids say things", "2A"),
        ("boys keep making fun of his shoes", "2A"),
        ("they get called names in the hallway", "2A"),
        ("the older kids roast him every morning", "2A"),
        ("the earthquake alarm drill confused the kinder kids", "2A"),
        ("he feels like he doesn't belong in that class", "2A"),
        ("the safety side of joy and wellness", "2A"),
        # 2B: counselors and therapists, grief, a child who is down, a family break-up
        ("do they have counselors or psychologists on campus", "2B"),
        ("she's been grieving since her grandma passed away", "2B"),
        ("he just hasn't been himself lately", "2B"),
        ("my daughter has been feeling down for weeks", "2B"),
        ("we're going through a divorce and she's struggling with it", "2B"),
        # 2C: a child who disrupts, is the mean one, fell out with a friend
        ("the teacher says she's disruptive during lessons", "2C"),
        ("he is never in his seat, he's out of his seat all day", "2C"),
        ("my son is mean to other kids at recess", "2C"),
        ("she fell out with her whole friend group", "2C"),
        # 2D: a made-up illness, hating to go, the letters, getting there
        ("he fakes a headache every friday", "2D"),
        ("she begs to stay home almost every day", "2D"),
        ("we got a truancy notice, what happens now", "2D"),
        ("i can't get her to school on time since i start work at 6", "2D"),
        # 3A: a say in decisions, parents not invited, no reply from the teacher
        ("families should have a voice in how the budget is spent", "3A"),
        ("parents rarely get invited to school events", "3A"),
        ("her teacher and i never got along", "3A"),
        ("her teacher never texts back", "3A"),
        ("i feel invisible at pickup, the staff only talk to her mom", "3A"),
        # 3B: nobody picks up, finding out from social media, buried in paper
        ("the school never picks up the phone", "3B"),
        ("we found out about the closure from instagram", "3B"),
        ("we are buried in flyers and emails from that school", "3B"),
        ("a ton of portals and logins to keep straight", "3B"),
        # the eighth set's round, second pass
        ("he still sounds out every word", "1A"),
        ("option b under academic excellence", "1B"),
        ("priority c under joy and wellness", "2C"),
        ("why are the kids in the gifted program all from one neighborhood", "1B"),
        ("the work never challenges her", "1B"),
        ("is there tutoring for students who are struggling in algebra", "1C"),
        ("the school doesn't have any tutoring after school", "1C"),
        ("there is no aide for the special ed class", "1C"),
        ("the yard supervisors yell at the kids all the time", "2A"),
        ("i want the school to honor every culture, not only in one month", "2A"),
        ("she keeps posting mean things about my daughter", "2A"),
        ("older boys laugh at him on the bus", "2A"),
        ("she is so anxious about the state test", "2B"),
        ("he's always arguing with classmates", "2C"),
        ("my 10th grader hardly goes to school anymore", "2D"),
        ("how do i build a relationship with the maestra", "3A"),
        ("the school never sends anything in tagalog", "3B"),
        ("the notices never come in korean", "3B"),
        # the eighth set's round, third pass
        ("my 12th grader is short on credits", "1D"),
        ("the cafeteria pasta at that school is honestly inedible", "2B"),
    ],
)
def test_worries_in_parents_words(text, expected):
    assert ex.extract_topic(text, "en") == expected


@pytest.mark.parametrize(
    "text",
    [
        "i need to prepare him for a test",  # not an emergency drill
        "juniper dual language academy",  # a school's name, not a topic
        "cypress medical magnet",
        "she missed the bus",
        "he needs an absence note for the doctor",  # still out of scope
        "i don't want to go on with this",  # leaving the chat, not refusing school
        "the balloon blew up at the party",  # a thing, not a temper
        # school logistics with a topic's word (the eighth set's round)
        # school logistics with a topic's word: the event, the chaperone, allergies, a
        # scrape, the bus, a child called out sick, things to bring
        "do parents chaperone the 6th grade camp",
        "is the classroom peanut free",
        "her food allergies, who do i tell",
        "a tiny scrape at recess, do they call home for that",
        "the bus never came, route 12",
        "how do i report him absent, he's got a cold",
        "can she bring her pokemon cards for show and tell",
        "who do i call about the bus",
        # the pillar's own name is not 2B
        "joy and wellness",
        # not a child who belongs nowhere / not grief
        "the fire alarm went off during lunch, should i pick him up",
        "who can i talk to",
        # the parent writing; a video of an assembly
        "i'm writing to ask about the program",  # the parent writing, not a child's writing
        "they filmed an anti-bullying video at school, can i get a copy",
    ],
)
def test_no_topic(text):
    assert ex.extract_topic(text, "en") is None


def test_dual_language_as_a_wish_is_still_a_topic():
    assert ex.extract_topic("i want him in dual language", "en") == "1B"


# --------------------------------------------------------------------------- grade
@pytest.mark.parametrize(
    "text,expected",
    [
        ("ninth, his first year of high school", "9"),
        ("seventh - her last year at that school", "7"),
        ("sixth, first year of middle school", "6"),
        ("12th, his final year", "12"),
    ],
)
def test_a_bare_grade_followed_by_its_year(text, expected):
    assert ex.extract_grade(text, "en") == expected


def test_a_date_is_not_a_pillar():
    assert ex.extract_pillar("dec 2nd 9am", "en") is None


# --------------------------------------------------------------------------- crisis
@pytest.mark.parametrize(
    "text",
    [
        # an adult who hits children ("hits the kids" alone is a child's behavior)
        "the gym coach hits the kids who talk back",
        "his teacher slaps students who don't listen",
        "the aide always smacks him on the head",
        "the bus driver shoves the little ones",
        # the school lost a child; a child neither in class nor at home
        "the school lost my daughter and no one can tell me where she is",
        "the bus lost my son this afternoon",
        "he is not in class and he's not home",
        # "on" in a YAML list was read as true, so "cutting on" was taken for ordinary talk
        "she's been cutting on her legs",
        # still danger
        "my stepdad pushes her around at home",
        "a kid posted threatening messages about the school",
        "the teacher grabbed her arm and dragged her",
        # an adult who keeps hitting; children locked in or unfed; a child who comes home hurt
        # an adult who keeps hitting; children locked in or unfed; a child who comes home hurt
        "the aide keeps shoving the little ones",
        "the coach kept slapping the boys at practice",
        "a neighbor's toddler is locked in the garage while she works",
        "nobody feeds them at home",
        "she comes home bruised every weekend",
        "her rib is cracked and she won't say how",
        "her back is black and blue",
        "he grabbed her by the hair",
        "they won't let her eat when she's bad",
        # misspelt cutting
        "found out my daughter started cuttin",
        "i think she's been cuting",
    ],
)
def test_danger_fires(text):
    assert ex.is_crisis(text, "en")


@pytest.mark.parametrize(
    "text",
    [
        "this is a stab in the dark, but what does pillar 2 mean",
        "let me shoot the principal a quick email first",
        "i'll shoot her a text tonight",
        "can you help me shoot off an email to the office",
        "the school sent a threatening letter about her absences",
        "we got a letter threatening a sarb referral",
        "kids tease him and push him around at recess",
        "older kids make fun of her and then push her around in line",
        "i'm going to lose my mind with this schedule",
        "the school lost my kid's jacket",
        "the coach hits the ball to the kids",
        "the coach beat the other team",
        # the eighth set's round
        "the coach keeps hitting the ball to the kids",
        "we got locked out of the parent portal",
        "she gets fed up with homework every night",
        "these forms are killing me, let's return to the last step",
        "since her grandma died she just isn't herself",
        "a few classmates roast him in the group chat",
        "he bumped his knee at recess",
    ],
)
def test_ordinary_talk_with_a_frightening_word_is_not_danger(text):
    assert not any(ex.is_crisis(text, lang) for lang in ("en", "es"))


# --------------------------------------------------------------------------- grades, needs, worry cues
@pytest.mark.parametrize(
    "text,expected",
    [
        ("she's in the eighth now", "8"),
        ("he's in the 10th", "10"),
    ],
)
def test_a_bare_ordinal_after_in_the(text, expected):
    assert ex.extract_grade(text, "en") == expected


@pytest.mark.parametrize(
    "text",
    [
        "what does my son need for the 8th grade trip",  # the grade of an event
        "it was the first week of school",
    ],
)
def test_an_events_grade_is_not_the_childs(text):
    assert ex.extract_grade(text, "en") is None


def test_nothing_special_is_no_need():
    assert ex.extract_needs("nothing special, a pretty normal kid", "en") == ["none"]


def test_a_reading_level_is_not_the_grade():
    assert ex.extract_grade("he's in 5th but reads at a 3rd grade level", "en") == "5"


def test_a_grade_spelled_as_a_number_word():
    assert ex.extract_grade("seven grade", "en") == "7"


@pytest.mark.parametrize(
    "text",
    [
        "she's a junior and might not pass algebra",
        "he's in 3rd, will he even be reading by summer",
        "my 9th grader is crying about her grades",
    ],
)
def test_a_doubt_before_the_topic_is_a_worry(text):
    assert ex.worry_spans(text, "en")


# --------------------------------------------------------------------------- the ninth set's round
@pytest.mark.parametrize(
    "text,expected",
    [
        # 1A: math facts a grade should have by now
        ("she still doesn't know her multiplication facts", "1A"),
        ("he is in 3rd and can't do the times tables", "1A"),
        ("my kid still can't spell simple words", "1A"),
        # 1B: hands-on and outdoor learning
        ("they never take the kids outside for science", "1B"),
        ("no hands on experiments, just the textbook", "1B"),
        ("is there a folklorico group for the little ones", "1B"),
        # 1C: a tutor the family cannot pay for
        ("we can't afford tutoring for her", "1C"),
        ("private tutors are too expensive for us", "1C"),
        # 1D: which classes count, paying for college
        ("what classes count for the uc system", "1D"),
        ("how do we pay for college", "1D"),
        # 2A: the walk to school, the blacktop in the heat, a mocking video
        ("my son walks past a vacant lot to get to school", "2A"),
        ("the walk home from school is sketchy", "2A"),
        ("there is no crosswalk by the gate", "2A"),
        ("the blacktop is scorching by noon", "2A"),
        ("they posted a humiliating video of him", "2A"),
        # 2D: can't get up for school
        ("she can't wake up in time for school", "2D"),
        ("he won't get up for school no matter what", "2D"),
        # 3A
        ("parents should have a real say here", "3A"),
        ("are there parent coffees at this school", "3A"),
        # 3B: the family's language, not understanding what comes home
        ("can somebody translate the iep papers in armenian", "3B"),
        ("is there anyone who speaks tagalog in the office", "3B"),
        ("i don't understand what the school sends home", "3B"),
        ("the letters are always in english", "3B"),
        ("i call and nobody answers", "3B"),
        # 3C..5D in parents' words, and misspelt names
        ("leading 4 impact", "3C"),
        ("how does lausd work with local nonprofits", "3C"),
        ("honering prespectives", "3D"),
        ("do they ever ask parents what we think", "3D"),
        ("the roof is leaking and there are roaches in the classroom", "4B"),
        ("the bathrooms look so run down", "4B"),
        ("sustanable budgeting", "4C"),
        ("they cut the music teacher due to the budget", "4C"),
        ("half our block switched to a charter", "4D"),
        ("why should parents stay with lausd", "4D"),
        ("the district keeps losing families", "4D"),
        ("we need more black teachers", "5A"),
        ("the staff don't look like our students", "5A"),
        ("proffesional developmnt for staff", "5B"),
        ("what training do the staff get", "5B"),
        ("the teachers are really stressed and tired", "5C"),
        ("who takes care of the teachers", "5C"),
        ("how is the principal evaluated", "5D"),
    ],
)
def test_worries_of_the_ninth_round(text, expected):
    assert ex.extract_topic(text, "en") == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("joy n wellness", "2"),
        ("joy wellnes", "2"),
        ("operacional efectivness", "4"),
        ("the pillar about staff", "5"),
    ],
)
def test_misspelt_pillar_names(text, expected):
    assert ex.extract_pillar(text, "en") == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("she's in tercero", "3"),
        ("he is in quinto at the new school", "5"),
        ("my daughter is in 2do", "2"),
        ("he is in octavo", "8"),
        ("cuarto grado", "4"),
    ],
)
def test_a_spanish_grade_in_an_english_message(text, expected):
    assert ex.extract_grade(text, "en") == expected


@pytest.mark.parametrize(
    "text",
    [
        "3-B",  # a priority code, not 3rd grade
        "leadin 4 impact",
        "someone said they will hurt everybody in 7th grade",  # a threat to a grade
        "the 6th grade hallway smells",
    ],
)
def test_not_the_childs_grade(text):
    assert ex.extract_grade(text, "en") is None


def test_none_of_the_teachers_is_no_need_answer():
    assert ex.extract_needs("none of the teachers speak spanish", "en") == []


@pytest.mark.parametrize(
    "text",
    [
        # logistics: a thing left somewhere, a tournament, a doctor, phones, homework to write
        "she dropped her water bottle at the yard",
        "he forgot his jacket in the gym",
        "is there a soccer tournament next month",
        "any good dentist near our house",
        "are students allowed to use phones at lunch",
        "can you help him finish his essay",
        "his science project is due monday",
        "where do i get a tb test to volunteer",
        "when is the canned food drive",
        "this saved me so much time, thanks",
        # a person is still danger, not a lost thing (crisis is checked apart)
        "we have a new crossing time for pickup",
    ],
)
def test_logistics_give_no_topic(text):
    assert ex.extract_topic(text, "en") is None


@pytest.mark.parametrize(
    "text",
    [
        "my neighbor leaves her kids locked in the house all day",
        "the little ones are shut in their room without food",
        "the toddler is left alone while she goes out",
        "somebody wrote they will shoot up the 8th grade hallway",
        "HE DIDNT COME HOME LAST NIGHT",
    ],
)
def test_danger_of_the_ninth_round_fires(text):
    assert ex.is_crisis(text, "en")


@pytest.mark.parametrize(
    "text",
    [
        "he stays up shooting zombies on his xbox",
        "she loves shooter games",
        "he shoots hoops every day after school",
        "my son wants to shoot a video for his media class",
        "they said he can't come back until the vaccine form is in",
        "she can't come back to class until we bring the doctor's note",
        "he locks himself in his room to play games",
    ],
)
def test_games_films_and_forms_are_not_danger(text):
    assert not any(ex.is_crisis(text, lang) for lang in ("en", "es"))


@pytest.mark.parametrize(
    "text,expected",
    [
        ("no sidewalks on the way and the cars speed by", "2A"),
        ("the route to school passes a vacant lot", "2A"),
        ("she can't get out of bed in time for school", "2D"),
        ("they called about him being tardy again", "2D"),
        ("i'd like to be the parent rep for our class", "3A"),
        ("i don't understand how the school system works here", "3B"),
        ("does the district partner with local nonprofits", "3C"),
        ("they should listen to what students want", "3D"),
        ("the district should stop families from leaving", "4D"),
        ("there are so few male teachers", "5A"),
        ("hi preformance standards", "5D"),
    ],
)
def test_more_worries_of_the_ninth_round(text, expected):
    assert ex.extract_topic(text, "en") == expected


@pytest.mark.parametrize(
    "text",
    [
        "i'm nervous about meeting the principal tomorrow",
        "his laptop from school has a broken keyboard, who fixes it",
        "do i need a tb test to help in the classroom",
        "we're collecting coats for the coat drive",
    ],
)
def test_more_logistics_give_no_topic(text):
    assert ex.extract_topic(text, "en") is None
