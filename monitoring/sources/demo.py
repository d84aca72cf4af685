"""Built-in demo source: a deterministic simulator of a fictional Italian utility.

**Lumea Energia** (``@LumeaEnergia``) sells electricity, gas and fibre.  The simulator
produces what a social listening feed about it would look like: bilingual (about 80 %
Italian, 20 % English) mentions from thousands of fictional authors with a daily rhythm
(Europe/Rome time), plus two scripted events that repeat every ``cycle_hours`` after the
``anchor`` (the moment the live demo started):

* ``outage`` (service incident), from anchor + 20 min for 40 min: a blackout in a named
  area; many different customers report the same problem.
* ``polemic`` (reputation crisis), from anchor + 90 min for 120 min: a statement of the
  fictional CEO Marco Vessani sparks outrage, boycott calls and retweet waves.

Everything is a pure function of ``(seed, stream, minute, anchor)``: each minute has its
own random generator, so generating a window in one call or in many slices gives exactly
the same mentions, identifiers and timestamps.  Ordinary traffic does not depend on the
anchor at all; scripted events exist only at or after the anchor, so the backfilled
history is a clean baseline.

Examples
--------
>>> from datetime import UTC, datetime
>>> anchor = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
>>> scenario = DemoScenario(anchor=anchor)
>>> [e.name for e in scenario.events_between(anchor, anchor + timedelta(hours=6))]
['outage', 'polemic']
>>> window = scenario.generate(anchor, anchor + timedelta(minutes=10))
>>> window == scenario.generate(anchor, anchor + timedelta(minutes=4)) + scenario.generate(
...     anchor + timedelta(minutes=4), anchor + timedelta(minutes=10))
True
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from monitoring.models import Mention, utc
from monitoring.sources.base import FetchResult, SourceError

if TYPE_CHECKING:
    from monitoring.config import Settings, SourceConfig

__all__ = [
    "EVENT_SCHEDULE",
    "DemoScenario",
    "DemoSource",
    "ScriptedEvent",
    "iban_is_valid",
    "luhn_is_valid",
]

ROME = ZoneInfo("Europe/Rome")
BRAND_HANDLE = "@LumeaEnergia"
CEO = "Marco Vessani"

#: Mean mentions per minute on a weekday, at each local hour (interpolated in between).
HOURLY_RATE = (
    0.50, 0.35, 0.30, 0.30, 0.30, 0.35, 0.60, 1.40, 2.80, 4.20, 4.80, 4.60,
    3.80, 3.60, 4.30, 4.40, 4.00, 3.40, 2.80, 2.20, 1.90, 1.70, 1.30, 0.80,
)  # fmt: skip
#: Multiplier per weekday (Monday first): quieter weekends.
WEEKDAY_FACTOR = (1.05, 1.0, 1.0, 1.0, 0.95, 0.70, 0.58)
#: Scripted events: (name, kind, start offset, duration) in minutes from each cycle start.
EVENT_SCHEDULE = (
    ("outage", "service_incident", 20, 40),
    ("polemic", "reputation_crisis", 90, 120),
)
#: Extra event volume is relative to ``max(baseline, EVENT_FLOOR_RATE)`` so that an event
#: is as loud in the evening and at night (baseline 0.3-2 mentions per minute) as at the
#: day's peak: the scripted blackout is a critical incident whatever the hour.
EVENT_FLOOR_RATE = 3.0
_MIN_CYCLE_MINUTES = max(start + length for _, _, start, length in EVENT_SCHEDULE)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class ScriptedEvent:
    """One occurrence of a scripted event.

    >>> e = ScriptedEvent("outage", "service_incident",
    ...                   datetime(2026, 1, 1, 9, 20, tzinfo=UTC),
    ...                   datetime(2026, 1, 1, 10, 0, tzinfo=UTC))
    >>> int((e.end - e.start).total_seconds() // 60)
    40
    """

    name: str  # 'outage' | 'polemic'
    kind: str  # 'service_incident' | 'reputation_crisis'
    start: datetime  # aware UTC
    end: datetime


# --------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------

TOWNS = (
    "Milano", "Roma", "Torino", "Napoli", "Bologna", "Firenze", "Genova", "Verona", "Padova",
    "Bari", "Brescia", "Bergamo", "Monza", "Parma", "Modena", "Reggio Emilia", "Trento",
    "Vicenza", "Treviso", "Udine", "Trieste", "Como", "Varese", "Pavia", "Cremona", "Lecco",
    "Novara", "Alessandria", "Asti", "Cuneo", "La Spezia", "Pisa", "Livorno", "Lucca",
    "Arezzo", "Siena", "Perugia", "Ancona", "Pesaro", "Rimini", "Ravenna", "Ferrara",
    "Piacenza", "Mantova", "Rovigo", "Pescara", "Latina", "Salerno", "Caserta", "Lecce",
    "Taranto", "Foggia", "Sesto San Giovanni", "Cinisello Balsamo", "Rho", "Legnano",
    "Busto Arsizio", "Gallarate", "Saronno", "Cologno Monzese", "Rozzano", "Imola", "Cesena",
    "Faenza", "Carpi", "Sassuolo", "Empoli", "Prato", "Pistoia", "Viareggio",
)  # fmt: skip
OUTAGE_AREAS = (
    "Milano Nord", "Bologna", "Torino Sud", "Roma Est", "Napoli Vomero", "Firenze Campo di Marte",
    "Genova Sampierdarena", "Verona", "Padova", "Bari", "Brescia", "Bergamo Alta", "Monza",
    "Milano Città Studi", "Roma Prati", "Modena",
)  # fmt: skip
STREETS = (
    "via Roma", "via Garibaldi", "corso Italia", "viale Mazzini", "via Verdi", "via Dante",
    "piazza Cavour", "via Manzoni", "via Marconi", "viale della Repubblica", "via Matteotti",
    "corso Vittorio Emanuele", "via Leopardi", "via dei Mille", "via XX Settembre",
    "via Carducci", "via Pascoli", "largo Augusto", "via Gramsci", "viale Europa",
)  # fmt: skip
MONTHS_IT = (
    "gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto",
    "settembre", "ottobre", "novembre", "dicembre",
)  # fmt: skip
MONTHS_EN = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip
PRODUCTS_IT = ("luce", "gas", "fibra", "luce e gas", "luce", "gas", "fotovoltaico")
PRODUCTS_EN = ("electricity", "gas", "fibre", "power and gas", "broadband")
OFFERS = (
    "Lumea Casa Flex", "Lumea Luce Fissa 12", "Lumea Gas Smart", "Lumea Green 100",
    "Lumea Fibra 1 Giga", "Lumea Tutto Incluso", "Lumea Prezzo Bloccato",
)  # fmt: skip
APPLIANCES = (
    "frigorifero", "modem", "televisore", "forno", "computer", "caricatore", "condizionatore",
    "lavatrice", "decoder",
)  # fmt: skip
ERRORS = (
    "errore 503", "\"errore di sistema\"", "codice E-42", "\"sessione scaduta\"",
    "\"servizio non disponibile\"", "errore 500", "schermata bianca", "\"riprova più tardi\"",
)  # fmt: skip
ERRORS_EN = (
    "error 503", "\"system error\"", "code E-42", "\"session expired\"", "a blank screen",
    "\"try again later\"", "error 500",
)  # fmt: skip
COMPETITORS = ("Voltaria", "EnerPlus", "Gasnova", "Elettra Casa", "Solaris Energia")
OPERATOR_NAMES = ("Giulia", "Marco", "Sara", "Luca", "Francesca", "Davide", "Chiara", "Paolo")
CHANNELS = ("numero verde", "chat", "WhatsApp", "sportello", "telefono", "assistenza via mail")
ROLES_IT = (
    "tecnici di rete", "operatori call center", "data analyst", "ingegneri elettrici",
    "addetti commerciali", "sviluppatori software", "stagisti amministrazione",
)  # fmt: skip
ROLES_EN = ("network technician", "data analyst", "software developer", "sales agent")
REGIONS = ("Lombardia", "Emilia-Romagna", "Piemonte", "Veneto", "Toscana", "Lazio", "Puglia")
CEO_REFS_IT = ("Vessani", "Vessani", "Marco Vessani", "#Vessani", "Marco Vessani")
CEO_REFS_EN = ("Vessani", "Marco Vessani", "the Lumea CEO", "#Vessani")
#: Per-cycle variants of the statement that triggers the polemic: (Italian, English).
QUOTES = (
    ("chi trova care le bollette può sempre tornare alle candele",
     "anyone who finds the bills too high can go back to candles"),
    ("le bollette alte sono colpa degli italiani che sprecano",
     "high bills are the fault of Italians who waste energy"),
    ("i clienti che non pagano non meritano la corrente",
     "customers who don't pay don't deserve electricity"),
    ("il nostro call center è fin troppo gentile con chi si lamenta",
     "our call centre is far too kind to people who complain"),
)  # fmt: skip

FIRST_IT = (
    "giulia", "marco", "francesca", "luca", "sara", "andrea", "chiara", "alessandro", "elena",
    "matteo", "valentina", "davide", "federica", "simone", "martina", "paolo", "anna",
    "giorgio", "laura", "stefano", "silvia", "roberto", "elisa", "fabio", "monica", "antonio",
    "roberta", "giuseppe", "ilaria", "franco", "marta", "riccardo", "alessia", "nicola",
    "beatrice", "lorenzo", "serena", "michele", "cristina", "tommaso", "debora", "enrico",
    "manuela", "gianni", "rita", "vincenzo", "teresa", "salvatore", "lucia", "carlo",
)  # fmt: skip
LAST_IT = (
    "rossi", "russo", "ferrari", "esposito", "bianchi", "romano", "colombo", "ricci",
    "marino", "greco", "bruno", "gallo", "conti", "deluca", "mancini", "costa", "giordano",
    "rizzo", "lombardi", "moretti", "barbieri", "fontana", "santoro", "mariani", "rinaldi",
    "caruso", "ferrara", "galli", "martini", "leone", "longo", "gentile", "martinelli",
    "vitale", "serra", "coppola", "desantis", "dangelo", "marchetti", "parisi", "villa",
    "conte", "ferraro", "fabbri", "bianco", "marini", "grasso", "valentini", "messina",
    "sala", "pellegrini", "palumbo", "sanna", "farina", "rizzi", "monti", "cattaneo",
)  # fmt: skip
NICK_IT = (
    "ilpendolare", "mammaoggi", "ciclista", "brontolone", "lettore", "viaggiatore",
    "cuoco", "nonnoweb", "tifoso", "prof", "avvocato", "architetto", "studente", "lavoratore",
)  # fmt: skip
FIRST_EN = (
    "sarah", "john", "emma", "james", "olivia", "tom", "kate", "michael", "lucy", "david",
    "anna", "peter", "claire", "mark", "julia", "ben", "laura", "chris", "sophie", "dan",
)  # fmt: skip
LAST_EN = (
    "smith", "jones", "taylor", "brown", "wilson", "evans", "walker", "wright", "clarke",
    "hall", "baker", "green", "hughes", "king", "lewis", "hill", "moore", "cooper",
)  # fmt: skip
PLACES_EN = ("milan", "rome", "italy", "turin", "bologna", "florence", "naples")
#: High-reach accounts: journalists, outlets, influencers, associations (all fictional).
HIGH_REACH = (
    ("@paola_ferri_news", 85_000, "it"), ("@CronacaMilano24", 120_000, "it"),
    ("@IlQuotidianoEco", 310_000, "it"), ("@lafrancy_lifestyle", 240_000, "it"),
    ("@ConsumatoriUniti", 45_000, "it"), ("@g_marchetti_giornalista", 38_000, "it"),
    ("@EnergiaOggiNews", 64_000, "it"), ("@bollettedaincubo", 27_000, "it"),
    ("@RadioNordInfo", 150_000, "it"), ("@TgEconomiaLive", 480_000, "it"),
    ("@andrea_satira", 190_000, "it"), ("@lucia_consumi", 15_000, "it"),
    ("@PoliticaSenzaFiltri", 95_000, "it"), ("@ilgufo_ironico", 72_000, "it"),
    ("@italy_energy_watch", 22_000, "en"), ("@RomeExpatNews", 18_000, "en"),
    ("@EuroBizDesk", 260_000, "en"), ("@claire_reports", 41_000, "en"),
)  # fmt: skip
SPAMMERS = (
    ("@offerte_top_24", 90, "it"), ("@bonus_energia_free", 35, "it"),
    ("@risparmio_facile_it", 210, "it"), ("@crypto_guadagni", 12, "it"),
    ("@LavoroOggiIT", 5_400, "it"), ("@jobs_energia", 1_900, "it"),
    ("@deals_italy", 60, "en"), ("@ItalyJobsBoard", 3_100, "en"),
)  # fmt: skip


# --------------------------------------------------------------------------------------
# Templates: (topic, intent, sentiment, weight, Italian templates, English templates)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Topic:
    name: str
    intent: str  # request | opinion | praise | other
    sentiment: str  # negative | neutral | positive
    weight: float
    it: tuple[str, ...]
    en: tuple[str, ...]


ORDINARY_TOPICS = (
    _Topic("billing", "request", "negative", 10.0, (
        ("La bolletta {product} di {month} è di {amount}, il doppio del solito. Potete "
        "controllare la fattura {invoice}?"),
        ("Mi è arrivato un conguaglio di {amount} per il {product}: com'è possibile se la casa è "
        "vuota da {months} mesi?"),
        "Bolletta di {month} sbagliata: mi fatturate consumi stimati e non la lettura reale.",
        ("Fattura {invoice} da {amount}. Ho già pagato {amount2} a {month}, perché me li "
        "addebitate di nuovo?"),
        "Ma come calcolate le bollette? {amount} per un bilocale a {town} è una follia",
        "Nella bolletta di {month} ci sono {amount2} di oneri che nessuno sa spiegarmi",
        "Ricevo due bollette {product} per lo stesso periodo ({month}), quale devo pagare?",
        "Non mi arriva più la bolletta via mail da {month} e nell'area clienti non c'è niente",
        ("{brand} mi ha fatturato {amount} per il {product} di {month}, ma ero in trasloco. "
        "Chiedo una verifica"),
        "Bolletta {invoice}: mi applicate la tariffa vecchia e non quella dell'offerta {offer}",
    ), (
        "My {month_en} bill is {amount_en}, twice the usual. Can you check invoice {invoice}?",
        "Got charged twice for the {product_en} bill of {month_en}. Please fix this.",
        ("Why is my {brand} bill based on estimated readings again? Sent the reading in "
        "{month_en}."),
        "Invoice {invoice} still shows the old tariff, not the {offer} offer I signed up for.",
    )),
    _Topic("payment", "request", "negative", 5.0, (
        ("Ho pagato la bolletta {invoice} il {day} {month} ma mi arriva il sollecito. Chi mi "
        "aiuta?"),
        "La domiciliazione bancaria non è partita e ora mi chiedete la mora di {amount2}",
        "Il pagamento con carta nell'app dà sempre {error}. Come pago la bolletta in scadenza?",
        "Posso rateizzare la bolletta da {amount}? Non riesco a pagarla tutta insieme",
        "Ho fatto il bonifico per la fattura {invoice} ma risulta ancora insoluta",
        "Mi avete addebitato la stessa bolletta due volte sul conto, {amount} in meno",
        "Come si attiva l'addebito diretto (RID) per luce e gas?",
    ), (
        "Paid invoice {invoice} on {month_en} {day} but still got a reminder. What's going on?",
        "Can I pay my {amount_en} {brand} bill in instalments?",
        "Card payment in the app fails with {error_en}, the bill is due tomorrow",
    )),
    _Topic("meter", "request", "neutral", 4.0, (
        "Come faccio l'autolettura del contatore {utility}? Sul sito non trovo la sezione",
        ("Ho inviato l'autolettura il {day} {month} ma in bolletta ci sono ancora consumi "
        "stimati"),
        ("Il tecnico doveva passare per la lettura del contatore a {town} e non si è visto "
        "nessuno"),
        "Il contatore del gas segna un consumo assurdo, vorrei una verifica",
        "L'autolettura tramite app non viene accettata: {error}",
        "Entro che giorno del mese va comunicata la lettura del contatore?",
        "Il contatore elettronico lampeggia e non vedo i consumi, è normale?",
    ), (
        "How do I submit a meter reading? Can't find it in the {brand} app",
        "Sent my meter reading on {month_en} {day} but the bill still uses estimates",
        "The technician for the meter reading in {town} never showed up",
    )),
    _Topic("contract", "request", "neutral", 6.0, (
        "Vorrei passare a {brand} per {product}, l'offerta {offer} è ancora attiva?",
        "Devo fare la voltura del contatore a {town}, quali documenti servono?",
        "Ho chiesto la disdetta del contratto {product} a {month} e continuate a fatturare",
        "Trasloco a {town} il mese prossimo: come trasferisco il contratto {product}?",
        "Mi avete attivato un contratto {product} che non ho mai firmato! Chi l'ha venduto?",
        "Il cambio fornitore doveva completarsi a {month} e sono ancora senza offerta attiva",
        "Attivazione della fibra ferma da {weeks} settimane, nessuna notizia",
        "Subentro in un appartamento a {town}: quanto costa riattivare la luce?",
        "Posso aumentare la potenza del contatore da 3 a 4,5 kW? Quanto costa?",
    ), (
        "Moving to {town}, how do I transfer my {product_en} contract with {brand}?",
        "Is the {offer} offer still available for new customers?",
        "Requested cancellation of my contract in {month_en}, still being billed.",
        "How long does it take to switch to {brand} from {competitor}?",
    )),
    _Topic("local_outage", "request", "negative", 4.0, (
        "Senza corrente in {street} a {town} da {hours} ore. Ci sono lavori in corso?",
        "Interruzione di luce a {town} stamattina, il guasto è stato segnalato?",
        "Di nuovo sbalzi di tensione a {town}, mi si è bruciato il {appliance}",
        "A {town} manca il gas da ieri sera, niente riscaldamento né acqua calda",
        "Terza interruzione della settimana in {street}, {town}. Chi ci rimborsa?",
        "Lavori programmati a {town}: per quante ore resteremo senza luce?",
    ), (
        "Power cut on {street}, {town} for {hours} hours now. Any ETA?",
        "Another voltage drop in {town}, my {appliance_en} just died",
    )),
    _Topic("gas_smell", "request", "negative", 1.5, (
        ("Forte odore di gas in {street} a {town}, chi devo chiamare? Il pronto intervento "
        "non risponde"),
        "Sento puzza di gas vicino al contatore, avete un numero per le emergenze?",
        "Odore di gas nel palazzo in {street}, abbiamo aperto le finestre. Mandate qualcuno",
    ), (
        "Strong smell of gas near the meter on {street}, {town}. Who do I call?",
    )),
    _Topic("app", "request", "negative", 5.0, (
        "L'app {brand} non si apre da {days} giorni: {error}",
        "Impossibile fare il login all'area clienti: password corretta ma dice {error}",
        "Dopo l'aggiornamento l'app non mostra più le bollette",
        "Il codice di verifica via SMS non arriva mai, non riesco ad accedere",
        "Il sito va in errore quando provo a scaricare la fattura {invoice}",
        "Accesso con SPID non funzionante sull'area clienti {brand}",
        "Nell'app la sezione {feature} è vuota da {days} giorni",
    ), (
        "The {brand} app keeps crashing on login ({error_en})",
        "Can't download invoice {invoice} from the website, it just spins",
        "Verification SMS never arrives, I'm locked out of my account",
    )),
    _Topic("refund", "request", "negative", 4.0, (
        "Aspetto il rimborso di {amount2} da {months} mesi. Quando arriva?",
        "Mi avete promesso il rimborso della bolletta doppia a {month}, ancora niente",
        "Ho chiuso il contratto a {month}: dov'è il rimborso del deposito cauzionale?",
        "Rimborso di {amount2} approvato a {month} e mai accreditato. Pratica {ticket}",
    ), (
        "Still waiting for my {amount_en} refund since {month_en}.",
        "Refund {ticket} approved in {month_en}, never paid. Any news?",
    )),
    _Topic("call_centre", "request", "negative", 5.5, (
        "{wait} minuti di attesa al numero verde e poi cade la linea. Complimenti {brand}",
        "Ho chiamato {n} volte, ogni operatore mi dice una cosa diversa",
        "La chat di assistenza risponde solo con messaggi automatici",
        "Nessuno risponde alle mail da {weeks} settimane, ho aperto il reclamo {ticket}",
        "Esiste un modo per parlare con un essere umano in {brand}?",
        "Al {channel} mi hanno detto di richiamare domani. Per la terza volta",
    ), (
        "Been on hold for {wait} minutes with {brand} customer service. Ridiculous.",
        "Opened complaint {ticket} {weeks} weeks ago, no answer",
        "Is there any way to reach a human at {brand}?",
    )),
    _Topic("opinion_neg", "opinion", "negative", 11.0, (
        "{brand} ha le tariffe più alte della zona, sto valutando di cambiare",
        "Servizio clienti di {brand} il peggiore che abbia mai avuto",
        "Ogni volta che arriva una bolletta {brand} è una sorpresa, e mai bella",
        "Pubblicità ovunque ma poi il servizio è quello che è. {brand}",
        "Con {brand} ho chiuso. Mai più fornitori che non rispondono",
        "Le offerte {brand} sembrano convenienti finché non leggi le clausole",
        "Aumenti su aumenti, e {brand} parla di sostenibilità...",
    ), (
        "{brand} prices went up again. Not impressed.",
        "Customer service at {brand} is a joke, honestly",
        "Left {brand} for {competitor} and never looked back",
    )),
    _Topic("opinion_neutral", "opinion", "neutral", 9.0, (
        "{brand} o {competitor}? Chi ha esperienza con il {product}?",
        "Nuova offerta {offer} di {brand}: sulla carta conveniente, vediamo la bolletta",
        "Leggo che {brand} punta sulle rinnovabili. Bene, ma le bollette?",
        "Con {brand} da {years} anni, niente di speciale ma nessun problema",
        "Qualcuno ha confrontato {brand} con {competitor} per il {product}?",
        "La nuova pubblicità di {brand} è ovunque in tv",
    ), (
        "Is {brand} any good for {product_en}? Thinking of switching from {competitor}",
        "Been with {brand} for {years} years, nothing special but no problems either",
    )),
    _Topic("praise", "praise", "positive", 15.0, (
        "Grazie {brand}, problema della bolletta risolto in {days} giorni. Bravi!",
        "Operatrice {opname} gentilissima e competente, finalmente qualcuno che risolve",
        "Tecnico arrivato in un'ora per il guasto a {town}, complimenti",
        "Passata a {brand} a {month} e sto risparmiando davvero. Consigliato",
        "Rimborso arrivato, grazie {brand} per la correttezza",
        "App nuova molto più comoda, autolettura in due clic",
        "Voltura fatta in {days} giorni, tutto online. Ottimo servizio {brand}",
        "Devo dire che al {channel} di {brand} sono stati rapidissimi",
        "Fotovoltaico installato da {brand}, primi {amount2} risparmiati. Contento!",
    ), (
        "Thanks {brand}, billing issue solved in {days} days. Great service!",
        "Technician came within an hour after the outage in {town}, impressed",
        "Switched to {brand} in {month_en}, already saving. Recommended",
    )),
    _Topic("spam", "other", "neutral", 7.0, (
        "💰 Guadagna {amount2} al giorno da casa! Scopri come: {spam_url}",
        "Stanco delle bollette {brand}? Confronta 100 offerte gratis 👉 {spam_url}",
        "🎁 Bonus energia di {amount} per tutti i clienti {brand}! Richiedilo qui {spam_url}",
        "Segui e condividi per vincere un anno di luce gratis #Lumea #giveaway {spam_url}",
        "Codice sconto {brand} {code} valido fino a {month} ➡️ {spam_url}",
    ), (
        "Tired of {brand} bills? Compare 100 offers for free 👉 {spam_url}",
        "Make {amount_en} a day from home!! {spam_url}",
    )),
    _Topic("jobs", "other", "neutral", 3.0, (
        "{brand} cerca {role} a {town}. Candidati: {url} #lavoraconnoi #lavoro",
        "Lavora con noi: {brand} assume {n}0 {role} in {region} {url}",
        "Posizioni aperte in {brand} per {role}, sede di {town} {url} #lavoraconnoi",
    ), (
        "{brand} is hiring a {role_en} in {town}! Apply: {url} #jobs",
    )),
    _Topic("job_question", "other", "neutral", 2.0, (
        "Qualcuno ha fatto un colloquio in {brand} per {role}? Com'è andato?",
        "Inviata la candidatura a {brand} da {weeks} settimane, qualcuno sa i tempi?",
        "Com'è lavorare in {brand}? Mi hanno chiamato per un colloquio a {town}",
    ), (
        "Anyone interviewed at {brand} for a {role_en} job? How was it?",
    )),
    _Topic("news", "other", "neutral", 8.0, (
        "{brand} investe {millions} milioni in un parco fotovoltaico vicino a {town} {news_url}",
        ("Tariffe luce e gas di {month}: {brand} tra i fornitori più cari secondo il confronto "
        "ARERA {news_url}"),
        "{brand} chiude l'anno con utile in crescita del {pct}% {news_url}",
        "Nuove colonnine di ricarica {brand} a {town} {news_url}",
        "{brand} e {competitor}, trattative per una fusione? {news_url}",
    ), (
        "{brand} to invest €{millions}m in a solar farm near {town} {news_url}",
        "{brand} reports {pct}% profit growth {news_url}",
    )),
)

OUTAGE_TOPICS = (
    _Topic("outage_report", "request", "negative", 70.0, (
        "Siamo senza luce a {area} da {mins} minuti, che succede?",
        "Blackout a {area}, tutto il quartiere al buio",
        "Manca la corrente in {street} ({area}), ci sono tempi di ripristino?",
        "{area}: niente corrente e il sito di {brand} non funziona. Ottimo.",
        "Qualcuno sa qualcosa del blackout a {area}? {brand} non risponde al numero verde",
        "Frigo spento e bambini al buio, a {area} manca la luce. Quando torna?",
        "L'app {brand} non carica, impossibile segnalare il guasto a {area}",
        ("Ho un familiare con l'ossigeno a casa, a {area} senza corrente da {mins} minuti. "
        "URGENTE"),
        "Anche in {street} senza luce. {area} completamente al buio",
        "Salta la corrente a {area}, ascensore bloccato con gente dentro!",
        "Il numero verde guasti è sempre occupato, a {area} siamo senza luce",
        "Il sito {brand} non funziona proprio adesso che manca la corrente a {area}",
        "Ufficio a {area} fermo, manca la corrente da {mins} minuti. Previsioni?",
        "Semafori spenti e negozi chiusi: blackout a {area}",
    ), (
        "Power cut in {area}, the whole street is dark. Any update?",
        "No power in {area} and the {brand} website is down too",
        "Blackout in {area} for {mins} minutes now, what's happening?",
        "Anyone else without electricity in {area}? {brand} app not loading",
    )),
    _Topic("outage_opinion", "opinion", "negative", 12.0, (
        "Ennesimo blackout a {area}, ma cosa paghiamo a fare le bollette {brand}?",
        "Rete elettrica del terzo mondo. {area} al buio, di nuovo",
        "{brand} non è in grado di garantire la corrente a {area} nel {year}",
    ), (
        "Another blackout in {area}. What are we even paying {brand} for?",
    )),
    _Topic("outage_restored", "praise", "positive", 8.0, (
        "È tornata la luce a {area}, grazie ai tecnici",
        "Corrente tornata in {street} ({area}). Per fortuna è durata poco",
        "A {area} è tornata la luce, ora spiegateci cosa è successo",
    ), (
        "Power is back in {area}, thanks to the crews",
    )),
)

POLEMIC_TOPICS = (
    _Topic("outrage", "opinion", "negative", 45.0, (
        "Le parole di {ceo} sono indegne. \"{quote}\"?! #boicottaLumea",
        "Un amministratore delegato che disprezza i clienti. {brand} deve scusarsi subito",
        "\"{quote}\". Lo ha detto davvero {ceo}. Senza parole",
        "Vergogna {ceo}. Paghiamo bollette folli e ci prendete anche in giro",
        "Dimissioni! {ceo} non può restare un minuto di più #Vessani",
        "Ma chi si crede di essere {ceo}? Uno che guadagna {millions} milioni e ci fa la morale",
        "Io cliente {brand} da {years} anni mi sento insultato da {ceo}",
        "Dopo la frase di {ceo} il silenzio di {brand} è ancora peggio",
        "Arroganza allo stato puro: \"{quote}\". {brand} si vergogni",
        "Chi difende {ceo} non ha mai visto una bolletta da {amount}",
        "Ecco cosa pensa di noi {brand}: \"{quote}\" #Vessani",
    ), (
        "{brand} CEO says \"{quote_en}\". Unbelievable. #boicottaLumea",
        "{ceo_en} should resign today. Disgusting attitude towards customers",
        "Arrogance of the year award goes to {ceo_en} #Vessani",
    )),
    _Topic("sarcasm", "opinion", "negative", 14.0, (
        "Grazie {ceo}, stasera cena a lume di candela 🕯️ così risparmio",
        "Bravo {ceo}, campagna marketing geniale 👏👏",
        "Nuova offerta {brand}: \"Candela Flex\", paghi il buio a prezzo bloccato 🕯️",
        "Consiglio di {ceo} per l'inverno: maglione e coperta. Grazie, illuminante 😂",
        "Finalmente un AD sincero. Adesso tocca a noi essere sinceri: disdetta #boicottaLumea",
        "{ceo} ha inventato la bolletta a zero euro: basta non accendere niente 🤡",
    ), (
        "Thanks {ceo_en}, candlelight dinner tonight then 🕯️",
        "Great PR move, {brand}. Truly illuminating 😂",
    )),
    _Topic("boycott", "opinion", "negative", 14.0, (
        "Da domani disdico {brand}. Fatelo anche voi #boicottaLumea",
        "#boicottaLumea finché {ceo} non si dimette. Condividete!",
        ("Cambiamo tutti fornitore, facciamo sentire a {brand} cosa pensano i clienti "
        "#boicottaLumea"),
        "Ho già chiesto il passaggio a {competitor}. Ciao {brand} #boicottaLumea #Vessani",
        "Boicottaggio totale di {brand}: luce, gas e fibra. #boicottaLumea",
    ), (
        "Switching away from {brand} after what {ceo_en} said. #boicottaLumea",
        "Boycott {brand} until {ceo_en} resigns #boicottaLumea",
    )),
    _Topic("polemic_request", "request", "negative", 6.0, (
        "Come si fa a disdire il contratto {brand}? Dopo le parole di {ceo} me ne vado",
        "Voglio recedere dal contratto {product} senza penali, chi devo contattare?",
        "Chiedo la chiusura immediata della mia utenza {product}. Codice cliente {code}",
    ), (
        "How do I cancel my {brand} contract? Not staying after this",
    )),
    _Topic("defence", "opinion", "neutral", 5.0, (
        "Frase infelice, ma la bufera su {ceo} mi sembra esagerata",
        "Aspetterei la versione integrale dell'intervista prima di crocifiggere {ceo}",
        "Ok, {ceo} ha sbagliato, ma {brand} come servizio non è peggio degli altri",
    ), (
        "Bad choice of words, but the pile-on against {ceo_en} seems excessive",
    )),
)
#: Posts that go viral in each polemic: (minute offset, Italian template, English template).
VIRAL_POSTS = (
    (0, "L'AD di {brand} {ceo_full}: \"{quote}\". Bufera sui social {news_url}",
     "{brand} CEO {ceo_full}: \"{quote_en}\". Social media storm {news_url}"),
    (4, ("\"{quote}\". Lo ha detto l'amministratore delegato di {brand}. Rileggetelo. "
        "#Vessani"), "\"{quote_en}\". Said by the CEO of {brand}. Read it again. #Vessani"),
    (11, "Da oggi #boicottaLumea. Un'azienda che parla così dei clienti non merita un euro",
     ("From today, #boicottaLumea. A company that talks about customers like this deserves "
     "nothing")),
    (23, ("Le associazioni dei consumatori chiedono le scuse pubbliche di {ceo_full} "
         "{news_url}"), "Consumer groups demand a public apology from {ceo_full} {news_url}"),
    (41, ("Silenzio totale di {brand} da ore. Intanto l'hashtag #boicottaLumea è primo in "
         "tendenza"), "Total silence from {brand} for hours while #boicottaLumea trends"),
    (67, "Fonti interne: in {brand} si valuta un passo indietro di {ceo_full} {news_url}",
     "Sources: {brand} considering {ceo_full} stepping down {news_url}"),
)
RT_COMMENTS_IT = (
    "Vergognoso.", "Esatto.", "Incredibile.", "Ecco.", "Leggete qui.", "Da condividere.",
    "Parole sante.", "Non ci credo.", "👇👇", "Basta!",
)  # fmt: skip
RT_COMMENTS_EN = ("Shameful.", "Exactly.", "Unbelievable.", "Read this.", "Wow.")

#: Openers by (language, intent); a ``", "`` ending lowercases the text that follows.
GREETINGS = {
    ("it", "request"): (
        "", "", "", "", "Buongiorno, ", "Salve, ", "Ciao, ", "Buonasera, ", "Scusate, ",
        "Gentile {handle}, ", "{handle} ", "{handle} ", "{handle} ", "Aiuto: ", "{handle} ciao, ",
    ),
    ("it", "opinion"): (
        "", "", "", "", "", "{handle} ", "Sinceramente, ", "Boh, ", "Scusate ma ", "Ok, ",
        "Che dire, ",
    ),
    ("it", "praise"): ("", "", "", "{handle} ", "Ciao {handle}, ", "Devo dirlo: "),
    ("en", "request"): ("", "", "", "Hi, ", "Hello, ", "{handle} ", "{handle} ", "Hey {handle}, "),
    ("en", "opinion"): ("", "", "", "{handle} ", "Honestly, ", "So "),
    ("en", "praise"): ("", "", "{handle} ", "Have to say: "),
}
#: Endings by (language, intent, sentiment); a leading space adds a full stop if needed.
CLOSERS = {
    ("it", "request", "negative"): (
        "", "", "", " Grazie.", " Attendo risposta.", " Qualcuno mi risponde?", " Assurdo.",
        " Vergogna!", " Aiuto 🙏", " Grazie in anticipo", " Non è accettabile.", "!!!",
    ),
    ("it", "request", "neutral"): ("", "", "", " Grazie", " Grazie mille.", " Qualcuno sa?"),
    ("it", "opinion", "negative"): (
        "", "", "", " Vergogna!", " Assurdo.", " Basta.", "!!!", " Pazzesco.", " Ridicoli.",
    ),
    ("it", "opinion", "neutral"): ("", "", "", " Voi che dite?", " Boh.", " Vedremo."),
    ("it", "praise", "positive"): ("", "", " Grazie!", " 👍", " Continuate così.", " Top!"),
    ("en", "request", "negative"): (
        "", "", " Thanks.", " Please help.", " Any update?", " Unacceptable.",
    ),
    ("en", "request", "neutral"): ("", "", " Thanks", " Anyone?"),
    ("en", "opinion", "negative"): ("", "", " Ridiculous.", " Shameful.", "!!"),
    ("en", "opinion", "neutral"): ("", "", " Thoughts?"),
    ("en", "praise", "positive"): ("", "", " Thanks!", " 👍", " Well done."),
}
EMOJI = {
    "negative": ("😡", "🤬", "😤", "😠", "👎", "💸", "🙄", "😩", "😒"),
    "neutral": ("🤔", "📄", "💡", "🙂"),
    "positive": ("😊", "👍", "🙏", "💚", "⭐", "😍", "👏"),
}
EMOTICONS = {"negative": (":(", ":-(", ">:("), "neutral": (":)", ":-/"),
             "positive": (":)", ":D", ":-)", "<3")}
HASHTAGS = {
    "request": ("#Lumea", "#LumeaEnergia", "#bollette", "#assistenzaclienti", "#disservizio"),
    "opinion": ("#Lumea", "#LumeaEnergia", "#bollette", "#energia", "#caroenergia"),
    "praise": ("#Lumea", "#LumeaEnergia", "#servizioclienti", "#grazie"),
    "other": ("#Lumea", "#energia", "#rinnovabili"),
    "jobs": ("#lavoro", "#offertedilavoro", "#Lumea"),
    "outage": ("#blackout", "#Lumea", "#senzaluce", "#guasto"),
    "polemic": ("#boicottaLumea", "#Vessani", "#Lumea", "#LumeaEnergia", "#vergogna"),
}
PII_PHRASES = {
    "it": {
        "phone": ("Richiamatemi al {pii}", "il mio numero è {pii}", "cell {pii}, grazie"),
        "email": ("scrivetemi a {pii}", "la mia mail è {pii}", "rispondete a {pii}"),
        "iban": ("IBAN per il rimborso: {pii}", "accreditate su {pii}", "il mio IBAN è {pii}"),
        "card": ("ho pagato con la carta {pii} e risulta insoluto",
                 "addebito doppio sulla carta {pii}"),
    },
    "en": {
        "phone": ("Call me back on {pii}", "my number is {pii}"),
        "email": ("email me at {pii}", "my email is {pii}"),
        "iban": ("refund to IBAN {pii}", "my IBAN is {pii}"),
        "card": ("paid with card {pii}, still shows unpaid", "card {pii} charged twice"),
    },
}
ACCENTS = str.maketrans("àèéìòù", "aeeiou")
_PII_REQUEST_SHARE = 0.011
_TYPO_SHARE = 0.22
_LANG_EN_SHARE = 0.2
_ITEM = tuple[int, str, str, int, str, dict]  # (ms, author, text, reach, lang, raw)


# --------------------------------------------------------------------------------------
# Personal data generators (valid checksums, fictional values)
# --------------------------------------------------------------------------------------

_CIN_ODD = (1, 0, 5, 7, 9, 13, 15, 17, 19, 21)


def _italian_cin(bban_digits: str) -> str:
    """Italian CIN check letter for ABI + CAB + account (22 digits)."""
    total = 0
    for i, ch in enumerate(bban_digits):
        d = int(ch)
        total += _CIN_ODD[d] if i % 2 == 0 else d
    return chr(ord("A") + total % 26)


def iban_is_valid(iban: str) -> bool:
    """Check an IBAN's ISO 13616 mod-97 checksum (spaces ignored).

    >>> iban_is_valid("IT60 X054 2811 1010 0000 0123 456")
    True
    >>> iban_is_valid("IT61X0542811101000000123456")
    False
    """
    s = iban.replace(" ", "").upper()
    if len(s) < 15 or not s[:2].isalpha() or not s[2:4].isdigit() or not s.isalnum():
        return False
    moved = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def luhn_is_valid(number: str) -> bool:
    """Check the Luhn checksum of a card number (spaces and dashes ignored).

    >>> luhn_is_valid("4539 1488 0343 6467"), luhn_is_valid("4539 1488 0343 6468")
    (True, False)
    """
    digits = [int(c) for c in number if c.isdigit()]
    if len(digits) < 12:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d *= 2
            d -= 9 if d > 9 else 0
        total += d
    return total % 10 == 0


def _fake_iban(rng: random.Random) -> str:
    abi = rng.choice(("03069", "02008", "05034", "03062", "05428", "01030", "03111"))
    cab = f"{rng.randrange(10_000, 99_999):05d}"
    account = f"{rng.randrange(10**11):012d}"
    bban = _italian_cin(abi + cab + account) + abi + cab + account
    numeric = "".join(str(int(c, 36)) for c in bban + "IT00")
    check = 98 - int(numeric) % 97
    iban = f"IT{check:02d}{bban}"
    if rng.random() < 0.5:
        return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
    return iban


def _fake_card(rng: random.Random) -> str:
    prefix = rng.choice(("4", "51", "52", "53", "54", "55"))
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(15 - len(prefix)))
    for check in "0123456789":
        if luhn_is_valid(body + check):
            number = body + check
            break
    if rng.random() < 0.6:
        return " ".join(number[i : i + 4] for i in range(0, 16, 4))
    return number


def _fake_phone(rng: random.Random) -> str:
    prefix = rng.choice(("320", "328", "333", "338", "340", "347", "349", "366", "380", "393"))
    rest = f"{rng.randrange(10**7):07d}"
    style = rng.randrange(4)
    if style == 0:
        return f"+39 {prefix} {rest[:3]} {rest[3:]}"
    if style == 1:
        return f"{prefix}{rest}"
    if style == 2:
        return f"{prefix}-{rest}"
    return f"{prefix} {rest}"


def _fake_email(rng: random.Random, author: str) -> str:
    name = author.lstrip("@").lower().replace("_", ".")
    domain = rng.choice(("example.com", "example.org", "example.net", "mail.example.it"))
    return f"{name}@{domain}"


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


def _seed(*parts: object) -> int:
    """A stable 64-bit seed from any printable parts (independent of PYTHONHASHSEED)."""
    key = "\x1f".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big")


def _poisson(rng: random.Random, lam: float) -> int:
    """Poisson sample (Knuth below 30, rounded normal approximation above)."""
    if lam <= 0:
        return 0
    if lam >= 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit = math.exp(-lam)
    k, p = 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _minute_of(ts: datetime) -> int:
    """Whole minutes since the Unix epoch (floor)."""
    return int((utc(ts) - _EPOCH).total_seconds() // 60)


def _at_minute(minute: int) -> datetime:
    return _EPOCH + timedelta(minutes=minute)


def _floor_minute(ts: datetime) -> datetime:
    return _at_minute(_minute_of(ts))


def _typo(rng: random.Random, text: str) -> str:
    """Apply one light, human-looking typo."""
    r = rng.random()
    if r < 0.3:
        return text.translate(ACCENTS) if rng.random() < 0.7 else text.replace("è", "e'")
    if r < 0.45:
        return text.lower()
    for _ in range(6):
        i = rng.randrange(1, max(2, len(text) - 2))
        if text[i].isalpha() and text[i + 1].isalpha() and text[i] != text[i + 1]:
            if r < 0.75:
                return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
            return text[:i] + text[i + 1 :]
    return text


class _Slots(dict):
    """Template slot values, drawn lazily (and once) from the mention's generator."""

    def __init__(self, rng: random.Random, lang: str, context: dict[str, str]):
        super().__init__(context)
        self.rng = rng
        self.lang = lang

    def __missing__(self, key: str) -> str:
        value = self._draw(key)
        self[key] = value
        return value

    def _draw(self, key: str) -> str:
        rng = self.rng
        if key == "brand":
            return rng.choice(("Lumea", "Lumea", "Lumea Energia", BRAND_HANDLE, "lumea"))
        if key == "handle":
            return BRAND_HANDLE
        if key == "town":
            return rng.choice(TOWNS)
        if key == "street":
            return f"{rng.choice(STREETS)}{rng.choice(('', f' {rng.randrange(1, 180)}'))}"
        if key in ("amount", "amount_en"):
            value = rng.lognormvariate(math.log(260), 0.6)
            return _money(rng, value, key == "amount_en")
        if key == "amount2":
            return _money(rng, rng.lognormvariate(math.log(60), 0.7), self.lang == "en")
        if key == "invoice":
            return rng.choice((
                f"n. {rng.randrange(2023, 2027)}/{rng.randrange(10**7):07d}",
                f"7{rng.randrange(10**10):010d}",
                f"n° 7X{rng.randrange(10**8):08d}",
                f"FT{rng.randrange(10**6):06d}",
            ))
        if key == "month":
            return rng.choice(MONTHS_IT)
        if key == "month_en":
            return rng.choice(MONTHS_EN)
        if key == "day":
            return str(rng.randrange(1, 29))
        if key == "utility":
            return rng.choice(("luce", "gas", "del gas", "della luce", "elettrico"))
        if key == "product":
            return rng.choice(PRODUCTS_IT)
        if key == "product_en":
            return rng.choice(PRODUCTS_EN)
        if key == "offer":
            return rng.choice(OFFERS)
        if key == "feature":
            return rng.choice(("bollette", "consumi", "pagamenti", "autolettura", "contratti"))
        if key == "error":
            return rng.choice(ERRORS)
        if key == "error_en":
            return rng.choice(ERRORS_EN)
        if key in ("days", "n"):
            return str(rng.randrange(2, 12 if key == "n" else 30))
        if key == "weeks":
            return str(rng.randrange(2, 9))
        if key in ("months", "years"):
            return str(rng.randrange(2, 13 if key == "months" else 16))
        if key == "hours":
            return str(rng.randrange(2, 14))
        if key == "mins":
            return str(rng.randrange(10, 60))
        if key == "wait":
            return str(rng.choice((15, 20, 25, 30, 35, 40, 45, 50, 60, 75, 90)))
        if key == "ticket":
            return f"#{rng.randrange(10**5, 10**6)}"
        if key == "code":
            return f"{rng.randrange(10**7, 10**8)}"
        if key in ("appliance", "appliance_en"):
            if key == "appliance":
                return rng.choice(APPLIANCES)
            return rng.choice(("fridge", "router", "TV", "laptop charger"))
        if key == "competitor":
            return rng.choice(COMPETITORS)
        if key == "opname":
            return rng.choice(OPERATOR_NAMES)
        if key == "channel":
            return rng.choice(CHANNELS)
        if key == "role":
            return rng.choice(ROLES_IT)
        if key == "role_en":
            return rng.choice(ROLES_EN)
        if key == "region":
            return rng.choice(REGIONS)
        if key == "millions":
            return str(rng.choice((3, 5, 8, 12, 20, 35, 50, 120)))
        if key == "pct":
            return str(rng.randrange(3, 28))
        if key == "year":
            return str(rng.choice((2025, 2026)))
        if key == "ceo":
            return rng.choice(CEO_REFS_IT)
        if key == "ceo_en":
            return rng.choice(CEO_REFS_EN)
        if key == "ceo_full":
            return CEO
        if key == "url":
            return f"https://lavora.lumea.example/{rng.randrange(10**4, 10**5)}"
        if key == "news_url":
            site = rng.choice(("notizie.example", "economia.example", "cronaca.example"))
            return f"https://{site}/a/{rng.randrange(10**5, 10**6)}"
        if key == "spam_url":
            site = rng.choice(("bit.example", "offerte-top.example", "bonus-luce.example"))
            return f"https://{site}/{rng.randrange(36**4, 36**5):x}"
        if key == "area":
            return rng.choice(OUTAGE_AREAS)
        return key


def _money(rng: random.Random, value: float, english: bool) -> str:
    value = round(value, 2) if rng.random() < 0.6 else float(round(value))
    whole, cents = int(value), round(value * 100) % 100
    if english:
        return f"€{value:,.2f}" if cents else f"€{whole}"
    style = rng.randrange(4)
    text = f"{whole:,}".replace(",", ".") + (f",{cents:02d}" if cents else "")
    if style == 0:
        return f"{text} €"
    if style == 1:
        return f"€ {text}"
    if style == 2:
        return f"{text} euro"
    return f"{text}€"


@dataclass(frozen=True, slots=True)
class _Pool:
    """Authors of one language: handles, reach and Zipf-like cumulative weights."""

    handles: tuple[str, ...]
    reach: tuple[int, ...]
    cum: tuple[float, ...]

    def pick(self, rng: random.Random) -> int:
        return bisect_right(self.cum, rng.random() * self.cum[-1])

    def pick_uniform(self, rng: random.Random) -> int:
        return rng.randrange(len(self.handles))


def _handle(rng: random.Random, lang: str) -> str:
    if lang == "en":
        first, last = rng.choice(FIRST_EN), rng.choice(LAST_EN)
        style = rng.randrange(5)
        if style == 0:
            return f"{first}_{last}"
        if style == 1:
            return f"{first}_in_{rng.choice(PLACES_EN)}"
        if style == 2:
            return f"{first}{last[0]}{rng.randrange(1, 99)}"
        if style == 3:
            return f"{first[0]}{last}"
        return f"{first}.{last}{rng.randrange(70, 100)}"
    first, last = rng.choice(FIRST_IT), rng.choice(LAST_IT)
    style = rng.randrange(8)
    if style == 0:
        return f"{first}_{last}"
    if style == 1:
        return f"{first}{last[0].upper()}"
    if style == 2:
        return f"{first}.{last}{rng.randrange(60, 100)}"
    if style == 3:
        return f"{last}{first[0]}"
    if style == 4:
        return f"{rng.choice(NICK_IT)}_{first}"
    if style == 5:
        return f"{first}{rng.randrange(1, 2000)}"
    if style == 6:
        return f"{first.capitalize()}{last.capitalize()}"
    return f"{first}_{last[:3]}{rng.randrange(1, 99)}"


@lru_cache(maxsize=16)
def _build_pool(seed: int, stream: str, lang: str, size: int) -> _Pool:
    rng = random.Random(_seed("authors", seed, stream, lang))
    handles: list[str] = []
    seen: set[str] = set()
    while len(handles) < size:
        h = "@" + _handle(rng, lang)
        if h.lower() not in seen:
            seen.add(h.lower())
            handles.append(h)
    reach = [max(3, min(9_000, int(rng.lognormvariate(math.log(150), 0.9)))) for _ in handles]
    cum, total = [], 0.0
    for rank in range(size):
        total += 1.0 / (rank + 15)
        cum.append(total)
    return _Pool(tuple(handles), tuple(reach), tuple(cum))


# --------------------------------------------------------------------------------------
# Scenario
# --------------------------------------------------------------------------------------


class DemoScenario:
    """Deterministic generator of the Lumea Energia mention stream.

    Parameters
    ----------
    stream : str
        Stream identifier written on every mention.
    seed : int
        Random seed; the same seed always gives the same mentions.
    anchor : datetime | None
        Start of the scripted cycle (floored to the minute).  ``None`` means ordinary
        traffic only, without scripted events.
    cycle_hours : float
        The scripted events repeat every ``cycle_hours`` after the anchor (at least 3.5).
    rate_scale : float
        Multiplies every rate (ordinary traffic and events).
    source : str
        Source name written on every mention.

    Examples
    --------
    >>> s = DemoScenario(seed=1)
    >>> t = datetime(2026, 3, 3, 11, 0, tzinfo=UTC)  # a Tuesday, noon in Rome
    >>> round(s.expected_rate(t), 1) > 5 * round(s.expected_rate(t.replace(hour=2)), 1)
    True
    >>> ms = s.generate(t, t + timedelta(minutes=30))
    >>> all(t <= m.ts < t + timedelta(minutes=30) for m in ms), len(ms) > 60
    (True, True)
    """

    def __init__(self, stream: str = "lumea", seed: int = 7, anchor: datetime | None = None,
                 cycle_hours: float = 6.0, rate_scale: float = 1.0, source: str = "demo"):
        if cycle_hours * 60 < _MIN_CYCLE_MINUTES:
            raise ValueError(
                f"cycle_hours must be at least {_MIN_CYCLE_MINUTES / 60:g} so the scripted "
                f"events fit in one cycle, got {cycle_hours!r}"
            )
        if rate_scale < 0:
            raise ValueError(f"rate_scale must be >= 0, got {rate_scale!r}")
        self.stream = stream
        self.seed = seed
        self.anchor = _floor_minute(anchor) if anchor is not None else None
        self.cycle_hours = cycle_hours
        self.rate_scale = rate_scale
        self.source = source
        self._anchor_minute = _minute_of(self.anchor) if self.anchor is not None else None
        self._cycle_minutes = cycle_hours * 60.0
        self._pools = {
            "it": _build_pool(seed, stream, "it", 3200),
            "en": _build_pool(seed, stream, "en", 800),
        }
        self._topic_cum = {
            name: _cumulative(topics)
            for name, topics in (("ordinary", ORDINARY_TOPICS), ("outage", OUTAGE_TOPICS),
                                 ("polemic", POLEMIC_TOPICS))
        }
        self._day_factor: dict[date, float] = {}
        self._cycles: dict[int, dict] = {}

    # ---- public API -------------------------------------------------------------------

    def generate(self, start: datetime, end: datetime) -> list[Mention]:
        """All mentions with ``start <= ts < end``, sorted by timestamp.

        >>> s = DemoScenario()
        >>> t = datetime(2026, 3, 3, 9, 0, 30, tzinfo=UTC)
        >>> [m.source_id for m in s.generate(t, t + timedelta(minutes=2))][:1] == [
        ...     m.source_id for m in s.generate(t, t + timedelta(minutes=1))][:1]
        True
        """
        start, end = utc(start), utc(end)
        if end <= start:
            return []
        first = _minute_of(start)
        last = -_minute_of_neg(end)  # ceil
        out: list[Mention] = []
        for minute in range(first, last):
            ms = self._minute(minute)
            if minute == first or minute == last - 1:
                ms = [m for m in ms if start <= m.ts < end]
            out.extend(ms)
        return out

    def events_between(self, start: datetime, end: datetime) -> list[ScriptedEvent]:
        """Scripted events overlapping ``[start, end)``, sorted by start.

        >>> a = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
        >>> s = DemoScenario(anchor=a, cycle_hours=6)
        >>> [(e.name, e.start.strftime("%H:%M"), e.end.strftime("%H:%M"))
        ...  for e in s.events_between(a, a + timedelta(hours=7))]
        [('outage', '08:20', '09:00'), ('polemic', '09:30', '11:30'), ('outage', '14:20', '15:00')]
        >>> s.events_between(a - timedelta(days=7), a)
        []
        """
        if self.anchor is None:
            return []
        start, end = utc(start), utc(end)
        k0 = max(0, math.floor(_minutes_between(self.anchor, start) / self._cycle_minutes) - 1)
        k1 = math.floor(_minutes_between(self.anchor, end) / self._cycle_minutes)
        events = []
        for k in range(k0, k1 + 1):
            for name, kind, ev_start, length in EVENT_SCHEDULE:
                begin = self._event_start(k, ev_start)
                event = ScriptedEvent(name, kind, begin, begin + timedelta(minutes=length))
                if event.start < end and event.end > start:
                    events.append(event)
        return sorted(events, key=lambda e: e.start)

    def describe(self, event: ScriptedEvent) -> str:
        """A one-line human description of a scripted event (for the UI and docs).

        >>> a = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
        >>> s = DemoScenario(anchor=a)
        >>> s.describe(s.events_between(a, a + timedelta(hours=1))[0]).startswith("Blackout")
        True
        """
        k = self._cycle_index(event.start)
        params = self._cycle(k)
        if event.name == "outage":
            return f"Blackout in {params['area']}: customers report no power and the app down"
        return f"Polemic: CEO {CEO} said \"{params['quote'][0]}\""

    def expected_rate(self, ts: datetime) -> float:
        """Mean mentions per minute at ``ts`` without scripted events.

        >>> s = DemoScenario()
        >>> night = s.expected_rate(datetime(2026, 3, 4, 2, 0, tzinfo=UTC))
        >>> 0.2 < night < 0.5
        True
        """
        local = utc(ts).astimezone(ROME)
        h = local.hour + local.minute / 60.0
        i = int(h)
        frac = h - i
        hourly = HOURLY_RATE[i] * (1 - frac) + HOURLY_RATE[(i + 1) % 24] * frac
        return hourly * WEEKDAY_FACTOR[local.weekday()] * self._daily(local.date()) * (
            self.rate_scale
        )

    # ---- generation -------------------------------------------------------------------

    def _minute(self, minute: int) -> list[Mention]:
        """All mentions of one minute (a pure function of seed, stream, minute, anchor)."""
        base = self.expected_rate(_at_minute(minute))
        rng = random.Random(_seed(self.seed, self.stream, minute))
        items: list[tuple[int, str, str, int, str, dict, str]] = []
        for i in range(_poisson(rng, base)):
            items.append((*self._ordinary(rng), f"{i:03d}"))
        if self._anchor_minute is not None and minute >= self._anchor_minute:
            for name, offset, cycle in self._active(minute):
                erng = random.Random(_seed(self.seed, self.stream, minute, name, cycle))
                extra = self._intensity(name, offset, cycle) * max(
                    base, EVENT_FLOOR_RATE * self.rate_scale
                )
                make = self._outage_item if name == "outage" else self._polemic_item
                for i in range(_poisson(erng, extra)):
                    items.append((*make(erng, cycle, offset), f"{name[0]}{i:03d}"))
                if name == "polemic":
                    for j, viral in enumerate(self._cycle(cycle)["viral"]):
                        if viral[0] == offset:
                            items.append((*viral[1:], f"v{j}"))
        items.sort(key=lambda it: (it[0], it[6]))
        t0 = _at_minute(minute)
        prefix = f"{self.stream}-{minute}-"
        out = []
        for ms_, author, text, reach, lang, raw, idx in items:
            sid = prefix + idx
            out.append(Mention(
                source=self.source, source_id=sid, stream=self.stream,
                ts=t0 + timedelta(milliseconds=ms_), author=author, text=text,
                author_reach=reach, url=f"https://social.example/{self.stream}/{sid}",
                lang_hint=lang, raw=json.dumps(raw, ensure_ascii=False, separators=(",", ":")),
            ))
        return out

    def _ordinary(self, rng: random.Random) -> _ITEM:
        topic = _pick_topic(rng, ORDINARY_TOPICS, self._topic_cum["ordinary"])
        if topic.name in ("spam", "jobs", "news") and rng.random() < 0.4:
            pool_row = rng.choice(HIGH_REACH if topic.name == "news" else SPAMMERS)
            author, reach, lang = pool_row
        else:
            lang = "en" if rng.random() < _LANG_EN_SHARE else "it"
            pool = self._pools[lang]
            idx = pool.pick(rng)
            author, reach = pool.handles[idx], pool.reach[idx]
        return self._compose(rng, topic, lang, author, reach, {}, None)

    def _outage_item(self, rng: random.Random, cycle: int, offset: int) -> _ITEM:
        params = self._cycle(cycle)
        topics, cum = OUTAGE_TOPICS, self._topic_cum["outage"]
        topic = _pick_topic(rng, topics, cum)
        if topic.name == "outage_restored" and offset < 15:
            topic = topics[0]
        lang = "en" if rng.random() < _LANG_EN_SHARE else "it"
        pool = self._pools[lang]
        idx = pool.pick_uniform(rng)  # many different customers
        context = {"area": params["area"], "mins": str(offset + rng.randrange(1, 6))}
        if rng.random() < 0.3:
            context["street"] = f"{rng.choice(STREETS)} {rng.randrange(1, 180)}"
        return self._compose(rng, topic, lang, pool.handles[idx], pool.reach[idx], context,
                             "outage")

    def _polemic_item(self, rng: random.Random, cycle: int, offset: int) -> _ITEM:
        params = self._cycle(cycle)
        lang = "en" if rng.random() < _LANG_EN_SHARE else "it"
        if rng.random() < 0.06:
            author, reach, _ = rng.choice([h for h in HIGH_REACH if h[2] == lang])
        else:
            pool = self._pools[lang]
            idx = pool.pick_uniform(rng) if rng.random() < 0.7 else pool.pick(rng)
            author, reach = pool.handles[idx], pool.reach[idx]
        published = [v for v in params["viral"] if v[0] <= offset]
        if published and rng.random() < 0.22:
            return self._retweet(rng, published, lang, author, reach)
        topic = _pick_topic(rng, POLEMIC_TOPICS, self._topic_cum["polemic"])
        context = {"quote": params["quote"][0], "quote_en": params["quote"][1]}
        return self._compose(rng, topic, lang, author, reach, context, "polemic")

    def _retweet(self, rng: random.Random, published: list, lang: str, author: str,
                 reach: int) -> _ITEM:
        weights = [1.0 + 0.5 * i for i in range(len(published))]
        _, _, orig_author, orig_text, _, orig_lang, _ = rng.choices(published, weights)[0]
        base = f"RT {orig_author}: {orig_text}"
        r = rng.random()
        if r < 0.45:
            text = base
        elif r < 0.75:
            comments = RT_COMMENTS_EN if lang == "en" else RT_COMMENTS_IT
            text = f"{rng.choice(comments)} {base}"
        elif r < 0.9:
            tag = rng.choice(HASHTAGS["polemic"])
            text = base if tag.lower() in base.lower() else f"{base} {tag}"
        else:
            cut = rng.randrange(40, max(41, len(base)))
            text = base[:cut].rstrip() + "…"
        raw = {"intent": "opinion", "topic": "retweet", "category": "polemic",
               "sentiment": "negative", "event": "polemic", "pii": [], "lang": orig_lang}
        return rng.randrange(60_000), author, text, reach, orig_lang, raw

    def _compose(self, rng: random.Random, topic: _Topic, lang: str, author: str, reach: int,
                 context: dict[str, str], event: str | None) -> _ITEM:
        templates = topic.en if lang == "en" else topic.it
        slots = _Slots(rng, lang, context)
        body = rng.choice(templates).format_map(slots)
        intent, sentiment = topic.intent, topic.sentiment
        if intent != "other":
            greet = rng.choice(GREETINGS[(lang, intent)])
            if greet:
                greet = greet.format_map(slots)
                after_handle = greet.endswith(BRAND_HANDLE + " ")
                if not after_handle and body[:1].isupper() and body[1:2].islower():
                    body = body[0].lower() + body[1:]
                body = greet + body
            closer = rng.choice(CLOSERS[(lang, intent, sentiment)])
            last_word = body.rsplit(" ", 1)[-1]
            if (closer[:1] == " " and body[-1:].isalnum() and last_word[:1] not in "#@"
                    and rng.random() < 0.6):
                body += "."
            body += closer
            if rng.random() < _TYPO_SHARE:
                body = _typo(rng, body)
        pii: list[str] = []
        if intent == "request" and rng.random() < _PII_REQUEST_SHARE:
            kind = rng.choice(("phone", "email", "iban", "card"))
            value = {
                "phone": lambda: _fake_phone(rng),
                "email": lambda: _fake_email(rng, author),
                "iban": lambda: _fake_iban(rng),
                "card": lambda: _fake_card(rng),
            }[kind]()
            phrase = rng.choice(PII_PHRASES[lang][kind]).format(pii=value)
            sep = " " if body[-1:] in ".!?" else ". "
            body = f"{body}{sep}{phrase[0].upper()}{phrase[1:]}"
            pii.append(kind)
        if intent != "other" and rng.random() < (0.45 if sentiment != "neutral" else 0.15):
            if rng.random() < 0.8:
                body += " " + rng.choice(EMOJI[sentiment]) * rng.choice((1, 1, 1, 2, 3))
            else:
                body += " " + rng.choice(EMOTICONS[sentiment])
        tag_key = event or (topic.name if topic.name in HASHTAGS else intent)
        if rng.random() < (0.6 if event == "polemic" else 0.18):
            tag = rng.choice(HASHTAGS[tag_key])
            if sentiment != "negative" and tag == "#vergogna":
                tag = "#Vessani"
            if tag.lower() not in body.lower():
                body += " " + tag
        if "lumea" not in body.lower():
            body = (f"{BRAND_HANDLE} {body}" if rng.random() < 0.7 else f"{body} #Lumea")
        category = intent
        if intent == "opinion":
            category = "polemic" if sentiment == "negative" else "other"
        raw = {"intent": intent, "topic": topic.name, "category": category,
               "sentiment": sentiment, "event": event, "pii": pii, "lang": lang}
        return rng.randrange(60_000), author, body, reach, lang, raw

    # ---- events -----------------------------------------------------------------------

    def _event_start(self, cycle: int, offset_minutes: int) -> datetime:
        assert self.anchor is not None
        return self.anchor + timedelta(minutes=round(cycle * self._cycle_minutes)
                                       + offset_minutes)

    def _cycle_index(self, ts: datetime) -> int:
        assert self.anchor is not None
        return max(0, math.floor(_minutes_between(self.anchor, ts) / self._cycle_minutes))

    def _active(self, minute: int) -> list[tuple[str, int, int]]:
        """Scripted events running during ``minute``: (name, minute offset, cycle)."""
        assert self._anchor_minute is not None
        rel = minute - self._anchor_minute
        k = math.floor(rel / self._cycle_minutes)
        active = []
        for cycle in (k - 1, k):
            if cycle < 0:
                continue
            cycle_start = round(cycle * self._cycle_minutes)
            for name, _, ev_start, length in EVENT_SCHEDULE:
                offset = rel - cycle_start - ev_start
                if 0 <= offset < length:
                    active.append((name, offset, cycle))
        return active

    def _intensity(self, name: str, offset: int, cycle: int) -> float:
        """Extra volume of an event, as a multiple of the (floored) baseline."""
        params = self._cycle(cycle)
        if name == "outage":
            peak = params["outage_peak"]
            if offset < 3:
                return peak * (offset + 1) / 3.5
            if offset < 10:
                return peak
            return peak * math.exp(-(offset - 10) / 9.0)
        peak = params["polemic_peak"]
        wave = 0.8 + 0.2 * math.sin(2 * math.pi * offset / 37.0 + params["phase"])
        if offset < 18:
            return peak * ((offset + 1) / 18.0) ** 2 * wave
        if offset < 80:
            return peak * wave
        return peak * wave * math.exp(-(offset - 80) / 20.0)

    def _cycle(self, cycle: int) -> dict:
        """Per-cycle parameters: outage area, peaks, the quote and the viral posts."""
        params = self._cycles.get(cycle)
        if params is not None:
            return params
        rng = random.Random(_seed("cycle", self.seed, self.stream, cycle))
        params = {
            "area": OUTAGE_AREAS[(rng.randrange(len(OUTAGE_AREAS)) + cycle) % len(OUTAGE_AREAS)],
            "outage_peak": rng.uniform(6.0, 8.0),
            "polemic_peak": rng.uniform(5.0, 9.0),
            "phase": rng.uniform(0, 2 * math.pi),
            "quote": QUOTES[cycle % len(QUOTES)],
        }
        viral = []
        for j, (offset, it, en) in enumerate(VIRAL_POSTS):
            lang = "en" if j == 3 and rng.random() < 0.5 else "it"
            author, reach, _ = rng.choice([h for h in HIGH_REACH if h[2] == lang])
            slots = _Slots(rng, lang, {"quote": params["quote"][0],
                                       "quote_en": params["quote"][1]})
            text = (en if lang == "en" else it).format_map(slots)
            if "lumea" not in text.lower():
                text += " #Lumea"
            raw = {"intent": "opinion" if j != 0 else "other", "topic": "viral",
                   "category": "polemic", "sentiment": "negative", "event": "polemic",
                   "pii": [], "lang": lang}
            viral.append((offset, rng.randrange(60_000), author, text, reach, lang, raw))
        params["viral"] = viral
        if len(self._cycles) > 64:
            self._cycles.clear()
        self._cycles[cycle] = params
        return params

    def _daily(self, day: date) -> float:
        """A slow, deterministic day-to-day variation of the volume (±10 %)."""
        factor = self._day_factor.get(day)
        if factor is None:
            factor = random.Random(_seed("day", self.seed, self.stream, day.isoformat())).uniform(
                0.9, 1.1
            )
            if len(self._day_factor) > 4096:
                self._day_factor.clear()
            self._day_factor[day] = factor
        return factor


def _cumulative(topics: tuple[_Topic, ...]) -> tuple[float, ...]:
    total, cum = 0.0, []
    for topic in topics:
        total += topic.weight
        cum.append(total)
    return tuple(cum)


def _pick_topic(rng: random.Random, topics: tuple[_Topic, ...], cum: tuple[float, ...]) -> _Topic:
    return topics[bisect_right(cum, rng.random() * cum[-1])]


def _minutes_between(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 60.0


def _minute_of_neg(ts: datetime) -> int:
    """``floor(-minutes)``, so that ``-_minute_of_neg(ts)`` is the ceiling in minutes."""
    return math.floor(-(utc(ts) - _EPOCH).total_seconds() / 60.0)


# --------------------------------------------------------------------------------------
# Source
# --------------------------------------------------------------------------------------


class DemoSource:
    """Source protocol implementation (see monitoring/sources/base.py).

    The cursor is ``{"anchor": iso, "until": iso}``.  The first call (no cursor) sets the
    anchor to ``now - lead_minutes`` floored to the minute and starts ``backfill_days``
    before it; every
    call then generates whole, already elapsed minutes from ``until``, at most
    ``max_chunk_minutes`` at a time.  ``now`` may come from a simulated clock.

    Examples
    --------
    >>> src = DemoSource(backfill_days=0.01)  # 14 minutes of history
    >>> now = datetime(2026, 3, 3, 10, 0, 42, tzinfo=UTC)
    >>> first = src.fetch(None, now)
    >>> json.loads(first.cursor)
    {'anchor': '2026-03-03T10:00:00+00:00', 'until': '2026-03-03T10:00:00+00:00'}
    >>> first.progress
    (14, 14)
    >>> later = src.fetch(first.cursor, now + timedelta(minutes=2))
    >>> json.loads(later.cursor)["until"], later.progress
    ('2026-03-03T10:02:00+00:00', None)
    """

    def __init__(self, name: str = "demo", stream: str = "lumea", seed: int = 7,
                 backfill_days: float = 7.0, cycle_hours: float = 6.0, rate_scale: float = 1.0,
                 max_chunk_minutes: int = 360, lead_minutes: float = 0.0):
        if backfill_days < 0:
            raise ValueError(f"backfill_days must be >= 0, got {backfill_days!r}")
        if max_chunk_minutes < 1:
            raise ValueError(f"max_chunk_minutes must be >= 1, got {max_chunk_minutes!r}")
        if lead_minutes < 0:
            raise ValueError(f"lead_minutes must be >= 0, got {lead_minutes!r}")
        self.name = name
        self.stream = stream
        self.seed = seed
        self.backfill_days = backfill_days
        self.cycle_hours = cycle_hours
        self.rate_scale = rate_scale
        self.max_chunk_minutes = max_chunk_minutes
        self.lead_minutes = lead_minutes
        self._scenario: DemoScenario | None = None
        # Validate cycle_hours and rate_scale now, not at the first fetch.
        DemoScenario(stream, seed, None, cycle_hours, rate_scale, name)

    def scenario(self, anchor: datetime) -> DemoScenario:
        """The scenario for ``anchor`` (cached), e.g. to show the event schedule."""
        anchor = _floor_minute(anchor)
        if self._scenario is None or self._scenario.anchor != anchor:
            self._scenario = DemoScenario(self.stream, self.seed, anchor, self.cycle_hours,
                                          self.rate_scale, self.name)
        return self._scenario

    def fetch(self, cursor: str | None, now: datetime) -> FetchResult:
        now_min = _floor_minute(now)
        backfill = timedelta(minutes=round(self.backfill_days * 1440))
        if cursor is None:
            anchor = now_min - timedelta(minutes=round(self.lead_minutes))
            until = anchor - backfill
        else:
            anchor, until = _parse_cursor(cursor)
        origin = anchor - backfill
        new_until = min(now_min, until + timedelta(minutes=self.max_chunk_minutes))
        if new_until <= until:
            return FetchResult([], _dump_cursor(anchor, until))
        mentions = self.scenario(anchor).generate(until, new_until)
        progress = None
        if until < anchor or new_until < now_min:
            done = int(_minutes_between(origin, new_until))
            total = int(_minutes_between(origin, now_min))
            progress = (done, max(done, total))
        return FetchResult(mentions, _dump_cursor(anchor, new_until), progress=progress)


def _dump_cursor(anchor: datetime, until: datetime) -> str:
    return json.dumps({"anchor": anchor.isoformat(), "until": until.isoformat()})


def _parse_cursor(cursor: str) -> tuple[datetime, datetime]:
    try:
        data = json.loads(cursor)
        anchor = _floor_minute(datetime.fromisoformat(data["anchor"]))
        until = _floor_minute(datetime.fromisoformat(data["until"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise SourceError(f"demo source: unreadable cursor {cursor[:80]!r} ({exc})") from exc
    return anchor, until


def from_config(cfg: SourceConfig, settings: Settings) -> DemoSource:
    """Build the demo source of a ``kind = "demo"`` settings entry.

    Options: ``seed``, ``backfill_days``, ``cycle_hours``, ``rate_scale`` and
    ``lead_minutes`` (the scripted cycle starts that many minutes before the first start,
    so that e.g. ``lead_minutes = 100`` opens on a polemic already under way).
    """
    opts = dict(cfg.options)
    stream = (cfg.streams or [settings.streams[0].id])[0]
    return DemoSource(name=cfg.name, stream=stream, seed=int(opts.get("seed", 7)),
                      backfill_days=float(opts.get("backfill_days", 7)),
                      cycle_hours=float(opts.get("cycle_hours", 6)),
                      rate_scale=float(opts.get("rate_scale", 1.0)),
                      lead_minutes=float(opts.get("lead_minutes", 0.0)))
