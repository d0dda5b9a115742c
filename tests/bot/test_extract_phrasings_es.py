"""Spanish phrasings for bot/nlu/lexicon/es.yml: needs said another way, worries that map to
a priority, logistics that are no topic, and everyday phrases with frightening words."""
import pytest

from bot.nlu import extract as ex


# --------------------------------------------------------------------------- needs
@pytest.mark.parametrize(
    "text,expected",
    [
        ("anda en silla de ruedas desde chiquito", ["disability"]),
        ("tiene parálisis cerebral", ["disability"]),
        ("es sordita, usa aparatos", ["disability"]),
        ("nació ciego", ["disability"]),
        ("tiene problemas de lenguaje, va a terapia", ["disability"]),
        ("sigue siendo EL, no ha pasado el examen", ["english_learner"]),
        ("es estudiante de inglés como segunda lengua", ["english_learner"]),
        ("está en el programa de ELD", ["english_learner"]),
        # the parent, a bus or a countdown: no need of the child
        ("cuántos días faltan para las vacaciones", []),
        ("el camión de la ruta 5 siempre llega tarde", []),
        ("se hace el que no oye", []),
    ],
)
def test_needs_es_phrasings(text, expected):
    assert ex.extract_needs(text, "es") == expected


# --------------------------------------------------------------------------- topics
@pytest.mark.parametrize(
    "text,expected",
    [
        ("quiero saber si va al corriente en sus materias", "1A"),
        ("no sé si está al nivel de su grado", "1A"),
        ("qué apoyo hay para los alumnos recién llegados", "1C"),
        ("clases de inglés para los niños que recién llegaron", "1C"),
        ("tiene IEP y siento que lo dejan a un lado", "1C"),
        ("no lo integran con sus compañeros por su autismo", "1C"),
        ("tiene un 504 y lo sacan del salón para todo", "1C"),
        ("no sabe qué hacer después de la prepa", "1D"),
        ("qué va a estudiar cuando salga de la preparatoria", "1D"),
        ("que les hablen de profesiones desde la primaria", "1D"),
        ("career pathways", "1D"),
        ("el profesor les grita a los alumnos", "2A"),
        ("la maestra le gritó a todo el grupo", "2A"),
        ("en la oficina me ven feo", "2A"),
        ("qué hacen para que los niños estén seguros", "2A"),
        ("anda deprimido y no sé a quién acudir", "2B"),
        ("está muy triste, hay algún consejero en la escuela?", "2B"),
        ("pláticas de prevención de drogas", "2B"),
        ("le da pena hablar en clase", "2C"),
        ("les enseñan a expresar lo que sienten?", "2C"),
        ("no se quiere levantar para ir a clases", "2D"),
        ("ese niño me va a matar del coraje, no quiere levantarse para ir a la escuela", "2D"),
        ("que los padres tengamos más voz", "3A"),
        ("queremos voz en las decisiones", "3A"),
        ("nunca me entero de nada", "3B"),
        ("me entero de los eventos el mismo día", "3B"),
        ("siempre avisan todo tarde", "3B"),
        ("nadie contesta el teléfono", "3B"),
        ("que la escuela informe mejor", "3B"),
        ("los avisos deberían venir en zapoteco", "3B"),
        ("los papeles llegan hechos bolas en la mochila", "3B"),
        ("mandan demasiados avisos y no entiendo cuál importa", "3B"),
        ("nunca mandan la info en español", "3B"),
        ("nomás les ponen caricaturas en clase", "1A"),
        ("los maestros ni explican, solo dejan tarea", "1A"),
        ("siento que los maestros no están capacitados", "1A"),
        ("quiero que salga bilingüe", "1B"),
        ("reprobó matemáticas y no sé cómo recuperar créditos", "1C"),
        ("va atrasada, hay tutorías en la tarde?", "1C"),
        ("apoyo para los que todavía aprenden inglés", "1C"),
        ("en el patio no hay árboles, puro sol", "2A"),
        ("el camino de la escuela está muy oscuro", "2A"),
        ("que todos se sientan bienvenidos", "2A"),
        ("que vean al estudiante completo, no solo calificaciones", "2B"),
        ("qué hacen para que los niños asistan diario", "2D"),
        ("casi no sé nada de su maestro", "3A"),
        ("la academia para padres", "3A"),
        ("liderazgo con impacto", "3C"),
        ("los maestros andan agotados", "5C"),
        ("me va a matar del coraje, ya lleva muchas faltas", "2D"),
    ],
)
def test_topic_es_phrasings(text, expected):
    assert ex.extract_topic(text, "es") == expected


# --------------------------------------------------------------------------- logistics: blocked, no topic
@pytest.mark.parametrize(
    "text",
    [
        "hay cursos de inglés para los adultos?",
        "cuándo son las conferencias de padres",
        "me mandaron un formulario del accidente para firmar",
        "el autobús de la ruta 9 llega tarde",
        "mañana hay clases o no?",
        "cuántos días de clase quedan",
        "van a hacer simulacro el martes?",
    ],
)
def test_logistics_es_are_blocked(text):
    assert ex.blocked_spans(text, "es", "topic")
    assert ex.extract_topic(text, "es") is None


# --------------------------------------------------------------------------- crisis
@pytest.mark.parametrize(
    "text",
    [
        "el guisado de la cafetería está para chuparse los dedos",
        "la comida de la fiesta estaba para morirse de rica",
        "mi hijo me va a matar de un susto con sus travesuras",
        "salió en las noticias una amenaza en otras escuelas del distrito",
        "me pasa la tarea que se perdió cuando estuvo malo?",
        "se ahoga cuando se pone ansioso, tiene plan 504",
        "se ahoga de los nervios antes de los exámenes",
    ],
)
def test_not_crisis_es_phrasings(text):
    assert not ex.is_crisis(text, "es")


@pytest.mark.parametrize(
    "text",
    [
        "se quiere matar, no sé qué hacer",
        "amenazaron a mi hijo con una pistola en la escuela",
        "mi hijo no aparece, se perdió saliendo de la escuela",
        "un señor le dijo a mi hija que la va a matar",
        "mi hija dice que se quiere morir",
        "hay una amenaza de tiroteo en la escuela de mi hijo",
    ],
)
def test_still_crisis_es(text):
    assert ex.is_crisis(text, "es")
