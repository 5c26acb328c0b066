"""Duplicates: ``find_duplicates`` on real sentences with injected campaigns, beside exact
matching after lower-casing and whitespace normalisation."""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from .. import datasets
from .metrics import pairwise_scores
from .report import Row, Target, percent, progress, relative, skipped

DUPLICATE_SEED = 7
DUPLICATE_SENTENCES = 3_000
DUPLICATE_THRESHOLD = 0.9
DUPLICATE_TARGET = 0.99


# Campaign templates for the duplicate measurement: the kind of letter an organisation asks
# its members to send in. Two pairs share their opening sentence, as campaigns of one
# organisation do, so that grouping by the opening alone would be caught.
_OPENING = (
    "Vi i föreningen Levande inland lämnar härmed våra synpunkter på förslaget till "
    "regional utvecklingsstrategi."
)
TEMPLATES: tuple[tuple[str, ...], ...] = (
    (
        _OPENING,
        "Norrbotniabanan måste byggas hela vägen till Luleå utan ytterligare förseningar.",
        "Utan en modern järnväg kommer näringslivet i {place} att tappa mark mot resten av landet.",
        "Godstrafiken på väg är redan i dag ett hot mot trafiksäkerheten.",
        "Vi kräver att regionen prioriterar järnvägen i sina förhandlingar med staten.",
    ),
    (
        _OPENING,
        "Förlossningsavdelningen i Sollefteå måste öppnas igen.",
        "Ingen kvinna ska behöva föda i en bil på väg till ett sjukhus tjugo mil bort.",
        "Avståndet till närmaste BB från {place} är i dag orimligt långt, särskilt vintertid.",
        "Regionen har ett ansvar för en jämlik vård i hela länet och inte bara i städerna.",
    ),
    (
        "Jag vill med detta brev protestera mot planerna på vindkraftsparken vid Storberget.",
        "Vindkraftverken skulle förstöra ett av de sista orörda fjällområdena i regionen.",
        "Renskötseln, turismen och friluftslivet i {place} tar allvarlig skada.",
        "Strategin nämner inte med ett ord hur lokalbefolkningen ska kompenseras.",
        "Stryk Storberget ur listan över lämpliga områden för vindkraft.",
    ),
    (
        "Bredband är i dag lika viktigt som el och vatten.",
        "Ändå saknar hundratals hushåll runt {place} en fast uppkoppling värd namnet.",
        "Vi som bor på landsbygden kan inte arbeta hemifrån, inte driva företag och inte ta "
        "del av digitala tjänster på samma villkor som andra.",
        "Strategin måste innehålla ett tydligt mål om fiber till alla hushåll senast 2030.",
        "Sätt av pengar i budgeten så att utbyggnaden faktiskt blir av.",
    ),
    (
        "Byskolan i {place} är hjärtat i vår bygd och får inte läggas ned.",
        "När skolan försvinner flyttar barnfamiljerna och sedan affären och bensinmacken.",
        "Långa skolskjutsar tar tid från lärande, lek och fritidsaktiviteter.",
        "Vi vill att strategin slår fast att små skolor på landsbygden ska finnas kvar.",
    ),
    (
        "Kollektivtrafiken måste bli billigare och gå oftare för att unga ska kunna bo kvar "
        "i regionen.",
        "Inför fria busskort för alla under tjugo år, så som flera andra regioner redan har gjort.",
        "I dag går sista bussen från {place} redan klockan sex på kvällen.",
        "Det gör det omöjligt att jobba kvällar, träna eller träffa vänner utan bil.",
        "Satsa på kvällstrafik och helgtrafik innan nya vägar byggs.",
    ),
    (
        "Biblioteken och kulturhusen är de sista mötesplatserna som är öppna för alla.",
        "Förslaget att minska kulturbudgeten med en femtedel slår hårdast mot de små orterna.",
        "Biblioteket i {place} har redan kortat sina öppettider två gånger.",
        "Kultur är ingen lyx utan en förutsättning för att människor ska vilja bo här.",
        "Dra tillbaka nedskärningen och låt kulturen få en egen rad i strategin.",
    ),
    (
        "Vi som cyklar till jobbet vill se sammanhängande och säkra cykelvägar mellan orterna.",
        "I dag tvingas vi cykla på vägrenen längs en väg där lastbilarna kör i nittio.",
        "Mellan {place} och centralorten saknas cykelväg helt.",
        "En utbyggd cykelinfrastruktur är både en klimatåtgärd och en folkhälsoåtgärd.",
        "Skriv in ett mål om hur många kilometer cykelväg som ska byggas varje år.",
    ),
    (
        _OPENING,
        "Hälsocentralen i {place} har bara läkare på plats två dagar i veckan.",
        "Äldre och sjuka tvingas resa långt för enkla besök som borde kunna ske nära hemmet.",
        "Digitala vårdbesök ersätter inte en läkare som känner sina patienter.",
        "Regionen måste locka fler läkare och sjuksköterskor till inlandet med bättre villkor.",
    ),
    (
        "Industrins omställning i norr kräver tusentals nya medarbetare de närmaste åren.",
        "Yrkesutbildningarna i {place} räcker inte till och många platser står tomma.",
        "Vi föreslår att regionen tillsammans med kommunerna bygger ut vuxenutbildningen.",
        "Bostäder måste byggas i samma takt som jobben, annars kommer ingen att kunna flytta hit.",
        "Glöm inte heller bort dem som redan bor här och behöver ställa om.",
    ),
)


def duplicate_corpus(seed: int = DUPLICATE_SEED) -> tuple[list[str], np.ndarray]:
    """Return real sentences with injected campaigns, and each text's campaign (-1: none).

    3,000 distinct SuperLim argumentation sentences, and for each of the 10 templates
    30–200 copies with 1–3 realistic edits each (``datasets.campaign_variant``).
    """
    rng = np.random.default_rng(seed)
    data = datasets.argumentation("all")
    distinct = list(dict.fromkeys(" ".join(t.lower().split()) for t in data.texts))
    originals = {" ".join(t.lower().split()): t for t in data.texts}
    chosen = rng.choice(len(distinct), min(DUPLICATE_SENTENCES, len(distinct)), replace=False)
    texts = [originals[distinct[i]] for i in sorted(chosen)]
    truth = [-1] * len(texts)
    for campaign, template in enumerate(TEMPLATES):
        for _ in range(int(rng.integers(30, 201))):
            place = datasets.PLACES[campaign % len(datasets.PLACES)]
            texts.append(datasets.campaign_variant(list(template), rng, place))
            truth.append(campaign)
    order = rng.permutation(len(texts))
    return [texts[i] for i in order], np.asarray(truth)[order]


def exact_groups(texts: Sequence[str]) -> list[list[int]]:
    """Return groups of texts equal after lower-casing and whitespace normalisation."""
    groups: dict[str, list[int]] = {}
    for i, text in enumerate(texts):
        groups.setdefault(" ".join(text.lower().split()), []).append(i)
    return [g for g in groups.values() if len(g) > 1]


def evaluate_duplicates() -> tuple[list[Target], list[Row]]:
    """Pairwise precision and recall of find_duplicates and of exact matching."""
    import nlp

    try:
        texts, truth = duplicate_corpus()
    except FileNotFoundError:
        return [], [skipped("duplicates", "superlim + campaigns", "data not found")]
    started = time.perf_counter()
    engine = nlp.find_duplicates(texts, threshold=DUPLICATE_THRESHOLD)
    seconds = time.perf_counter() - started
    e_p, e_r = pairwise_scores(engine, truth)
    b_p, b_r = pairwise_scores(exact_groups(texts), truth)
    campaigns = int(truth.max()) + 1
    name = "superlim sentences + campaigns (sv)"
    note = (
        f"{(truth < 0).sum()} real sentences + {(truth >= 0).sum()} variants of {campaigns} "
        f"templates; threshold {DUPLICATE_THRESHOLD}; {len(engine)} groups found"
    )
    rows = [
        Row(
            "duplicates",
            name,
            str(len(texts)),
            "pairwise precision",
            f"{b_p:.4f}",
            f"{e_p:.4f}",
            percent(relative(e_p, b_p)),
            note,
        ),
        Row(
            "duplicates",
            name,
            str(len(texts)),
            "pairwise recall",
            f"{b_r:.4f}",
            f"{e_r:.4f}",
            percent(relative(e_r, b_r)),
            f"baseline: exact match after lower-case + whitespace; engine {seconds:.1f} s",
        ),
    ]
    targets = [
        Target(
            "duplicates precision ≥ 0.99 on injected campaigns",
            f"{e_p:.4f}",
            e_p >= DUPLICATE_TARGET,
        ),
        Target(
            "duplicates recall ≥ 0.99 on injected campaigns", f"{e_r:.4f}", e_r >= DUPLICATE_TARGET
        ),
    ]
    progress(f"duplicates: {seconds:.1f} s")
    return targets, rows
