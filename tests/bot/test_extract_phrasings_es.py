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
        ("mi niña ya es gifted desde primero", ["gifted"]),
        ("sigue siendo english learner en quinto", ["english_learner"]),
        ("mi sobrino todavía no sabe inglés", ["english_learner"]),
        ("el condado me lo dio hace un año", ["foster_youth"]),
        ("tengo la custodia temporal de mi nieta", ["foster_youth"]),
        ("se hace el que no oye", []),
        ("no está en GATE, ninguna", ["none"]),
        ("ningún maestro le ayuda", []),
        ("lo de inglés", ["english_learner"]),
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
        # reading, the state test, a subject going badly
        ("se atora cuando lee en voz alta", "1A"),
        ("se tropieza con cada palabra larga", "1A"),
        ("no comprende lo que lee aunque lee rápido", "1A"),
        ("no conoce ni las vocales", "1A"),
        ("cómo les fue en el examen estatal", "1A"),
        ("los preparan para las pruebas de fin de año?", "1A"),
        ("en lectura anda bajo y nadie me avisó nada", "1A"),
        # after-school activities, tutoring, credits, still learning English
        ("qué actividades hay después de clase para los de tercero", "1B"),
        ("algo más que puras tareas, como un club de ajedrez", "1B"),
        ("tutoring después de la escuela para los que van atrasados", "1C"),
        ("cómo puede recuperar las materias que tronó", "1C"),
        ("reprobó álgebra y quiere reponer el crédito", "1C"),
        ("la niña aprende inglés todavía y no le entiende a la maestra", "1C"),
        # A-G, after high school, applications, careers
        ("cuántas clases le faltan para graduarse", "1D"),
        ("qué va a hacer saliendo de la preparatoria", "1D"),
        ("no ha mandado ninguna aplicación y ya es senior", "1D"),
        ("solicitudes para la universidad, nadie le ayuda", "1D"),
        ("quiere ser ingeniera y no sabe qué clases tomar", "1D"),
        # lockdowns, culture, name-calling, crossings, stereotypes
        ("tuvieron lockdown ayer, cómo lo manejaron con los niños", "2A"),
        ("qué protocolos de emergencia tienen", "2A"),
        ("qué hacen si hay un terremoto en plena clase", "2A"),
        ("no respetan nuestras tradiciones", "2A"),
        ("le dicen enano todos los días", "2A"),
        ("los carros van volando enfrente de la escuela", "2A"),
        ("la esquina de la escuela no tiene crossing guard", "2A"),
        ("a los muchachos los ven como delincuentes por su ropa", "2A"),
        # grief, low spirits
        ("anda sin ánimo desde que falleció su tío", "2B"),
        ("la veo muy decaída, hay psicóloga?", "2B"),
        # behavior, attendance
        ("mi hija no se queda quieta en clase", "2C"),
        ("no para de platicar en clase", "2C"),
        ("qué hacen para que no falten los niños", "2D"),
        ("se duerme tarde y al otro día no se levanta", "2D"),
        # parents taken into account, the school-family relationship
        ("a los padres no nos toman en cuenta", "3A"),
        ("cómo es la relación entre la escuela y las familias", "3A"),
        ("nunca puedo ir a las juntas por mi trabajo", "3A"),
        ("que incluyan a los papás que trabajan de día", "3A"),
        # reaching the office, technology help, flyers late
        ("no hay forma de contactar a la oficina", "3B"),
        ("que nos enseñen a usar la computadora a los papás", "3B"),
        ("no tenemos soporte técnico para la laptop", "3B"),
        ("los volantes llegan todos rotos en la mochila", "3B"),
        ("el psicólogo nomás viene una vez al mes", "2B"),
        ("hay pasantías para los de la prepa?", "1D"),
        ("más field trips para los de primaria", "1B"),
        ("en la oficina nadie habla nuestra lengua", "3B"),
        ("lo empujan en la fila todos los días", "2A"),
        ("le roban su lonche en el recreo", "2A"),
        ("hay demasiados alumnos en su salón", "1A"),
        ("todavía no conozco a su maestra", "3A"),
        # 3A..5D in the parent's own words (priorities the guide only names)
        ("me gustaría ser voluntario en la biblioteca de la escuela", "3A"),
        ("las familias nunca opinamos sobre cómo se usa el presupuesto", "3A"),
        ("quiero mejorar mi relación con la escuela", "3A"),
        ("nunca nos avisaron nada del festival", "3B"),
        ("nos enteramos del evento cuando ya pasó", "3B"),
        ("cada clase manda avisos por 4 aplicaciones distintas", "3B"),
        ("cómo prepara el distrito a los nuevos directores", "3C"),
        ("que haya buenos líderes en cada escuela", "3C"),
        ("que valoren los puntos de vista de los jóvenes", "3D"),
        ("que el distrito tome en cuenta a las familias", "3D"),
        ("el distrito revisa las estadísticas de asistencia antes de repartir fondos?", "4A"),
        ("toman decisiones basadas en datos o a ojo?", "4A"),
        ("los lavabos del baño están rotos desde hace meses", "4B"),
        ("la escuela está deteriorada y le urgen reparaciones", "4B"),
        ("los bebederos no sirven desde agosto", "4B"),
        ("al distrito se le está acabando el presupuesto", "4C"),
        ("van a recortar el personal de la biblioteca", "4C"),
        ("que el distrito administre bien su dinero", "4C"),
        ("gastan de más y luego no hay para nada", "4C"),
        ("el distrito está perdiendo alumnos cada año", "4D"),
        ("que las familias elijan las escuelas del distrito", "4D"),
        ("los vecinos se están yendo a las charter", "4D"),
        ("casi ningún maestro entiende nuestra cultura ni habla español", "5A"),
        ("que contraten personal bilingüe de la comunidad", "5A"),
        ("maestros que se parezcan a nuestros hijos", "5A"),
        ("talleres para todo el personal de la escuela", "5B"),
        ("que el personal siga capacitándose", "5B"),
        ("desarrollo profecional para todos", "5B"),
        ("quién apoya a los maestros cuando están agotados", "5C"),
        ("la maestra renunció por estrés", "5C"),
        ("los profes andan estresados con tantos alumnos", "5C"),
        ("metas altas de desempeño para los empleados", "5D"),
        ("que evalúen a los directores cada año", "5D"),
        # worries for 1A..2C said another way
        ("el maestro de mate no les explica nada", "1A"),
        ("cómo puede reponer las clases que perdió", "1C"),
        ("vivimos en un refugio desde diciembre", "1C"),
        ("mi hijo quiere estudiar para enfermero", "1D"),
        ("en la salida se juntan unos cholos", "2A"),
        ("no hay ningún adulto en el cruce de la esquina", "2A"),
        ("mi hija no se siente a gusto en su salón", "2A"),
        ("empuja a los otros niños en el recreo", "2C"),
        ("quiero que aprenda a llevarse bien con sus compañeros", "2C"),
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
        "cómo lo apunto en la lista de espera del magnet",
        "cómo actualizo mi número de teléfono en la escuela",
        "nos mudamos, cómo cambio a mi hija de escuela",
        "conoce un pediatra que hable español por aquí",
        "ya subieron las notas al portal?",
        "se raspó el codo en el patio y me mandaron una hoja, la tengo que firmar?",
        "cuándo es el simulacro de terremoto",
        "qué laptop le compro para la secundaria",
        # trip logistics, things left behind, allergies to report, ticket prices
        "qué ropa le mando para el paseo del viernes",
        "si llueve el día de la excursión la cancelan?",
        "cuánto cuesta la excursión al museo",
        "se le quedó la gorra en la cafetería",
        "es alérgico a la leche, ya le avisé a la maestra?",
        "el martes es la excursión, a qué hora regresan",
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
        "a mi hijo lo tratan de pandillero por su corte de pelo",
        "juega videojuegos de pistolas toda la noche",
        "puede llevar su espada de plástico al festival?",
        "le quitaron la pistolita de juguete en el salón",
        "le interesan las armas medievales, hay club de historia?",
        "quiere ser policía para traer pistola como su papá",
        "mejor matemos ese tema y vemos otro",
        "gracias, me salvaste la vida con esto",
        "ando muerto de cansancio, mañana sigo",
        "se le torció el tobillo en el recreo",
        # hyperbole about a spouse, the heat, games, recruiting for teams, the workforce
        "me va a matar su mamá si no encuentro la sudadera",
        "su papá me va a matar, perdió otra vez los lentes",
        "el salón va a estar para morirse con este calor",
        "se la pasa matando en el minecraft, hay club de computación?",
        "están buscando niñas para el equipo de fútbol de la escuela",
        "la maestra empuja a los niños a leer más",
        "hablemos de la fuerza laboral del distrito",
        "trae marcas de plumón en los brazos jaja",
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
        "mi hijo dijo 'mejor me voy para siempre y así ya no les doy problemas'",
        "dice que así ya no sería una carga para nadie",
        "el primo de mi esposo se mete al cuarto de mi niña en la noche",
        "un señor de internet quiere que mi hija vaya sola a un motel",
        "le ofrecieron dinero a mi hijo por instagram para verse",
        "un maestro le torció el brazo a mi hijo",
        "ya fuimos con la policía y no la encuentran",
        "llevo dos días sin saber de mi hija",
        "dejan a los niños encerrados toda la semana sin comida",
        "la auxiliar del salón pellizca a mi hijo hasta dejarle moretones",
        "la asistente de educación especial amarra a mi hija a la silla",
        "andan reclutando muchachas de la prepa para fiestas con señores",
        "les pagan por salir con las niñas de la secundaria",
    ],
)
def test_still_crisis_es(text):
    assert ex.is_crisis(text, "es")


# --------------------------------------------------------------------------- grades
@pytest.mark.parametrize(
    "text,expected",
    [
        ("le tocaba cuarto pero repitió, va en tercero", "3"),
        ("supuestamente debería estar en sexto, pero está en quinto", "5"),
        ("ya está en la prepa, en el último año", "12"),
        ("a qué hora salen los de kinder", None),
        ("los de tk tienen recreo aparte?", None),
        ("cómo se llama la maestra de tercero", None),
        ("ola k tal", None),
        ("mi hijo está en 11 y ya piensa en la universidad", "11"),
        ("va en once, el año que entra se gradúa", "11"),
        ("perdón, no es 3ro, es 4to", "4"),
        ("qué necesita para entrar a sexto", None),
        ("kita la 2", None),
    ],
)
def test_grade_es_phrasings(text, expected):
    assert ex.extract_grade(text, "es") == expected
