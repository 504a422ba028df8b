"""Common first names, so a name in a German sentence can be told from a noun.

German capitalises every noun: in "Heute war das Meeting mit Freude und Lisa gut" only
"Lisa" is a person, and nothing in the sentence's shape says so. A free text offers a
new contact only for a capitalised word that is one of these names (or follows "Frau",
"Herr", "Mr", …); a name missing here is simply not offered, and `/met` or `/contact`
still take it. Names that are also common words in either language ("Art", "Will",
"Rose", "Ernst", "August", "Hope", …) are left out on purpose.

Kept as plain text, case-folded: a word list reads and diffs better than quoted strings.
"""

from __future__ import annotations

from typing import Final

__all__ = ["FIRST_NAMES", "TITLES"]


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


FIRST_NAMES: Final = _word_set(
    """
    aaron abdul adam adrian ahmed ahmet aisha alan albert alessandro alex alexa alexander
    alexandra alexis alfred ali alice alina alisa amelie amelia amir amy ana andrea andreas
    andrew andrzej andy angela angelika angelina anja anke ann anna annabel anne annette
    annika anton antonia arne arthur aylin barbara bastian ben benedikt benjamin bernd
    bernhard bert bettina bianca birgit björn bob boris brigitte britta bruno burak
    carina carl carla carlos carmen carola carolin caroline catherine charlotte chiara chloe
    chris christa christian christiane christina christine christoph christopher clara
    claudia conny cornelia daniel daniela dana danny david davide denise dennis diana dieter
    dirk dominik doris dorothea dustin edith elena eleni elias elif elisabeth elke ella ellen
    elena emil emilia emily emma emre erik erika erwin esther eva fabian fabienne farah
    fatima felix finn florian francesca frank franz franziska frauke frederik frida frieda
    friedrich fritz gabi gabriele georg george gerd gerhard gisela giulia greta gregor gudrun
    günter guido hakan hanna hannah hannes hans harald harry heidi heike heiko heinz helen
    helena helga helmut hendrik henning henrik henry herbert hilde holger horst hugo ian
    ida ilse ines inga inge ingo ingrid irene iris isabel isabell isabella ivan jacob jakob
    james jan jana janina janine jannik jasmin jason jennifer jens jessica jochen johann
    johanna johannes john jonas jonathan jörg josef joseph josephine jule julia julian
    juliane julius justus jürgen kai karin karl karolina kate katharina kathrin katja
    katrin kemal kerstin kevin kim klara klaus konrad kristina lara larissa lars laura lea
    lena lennart leo leon leonie lina linda lisa lotte louis louisa lucas luca lucy ludwig
    luis luisa lukas lutz magdalena maja manfred manuel manuela marc marcel marco marcus
    margarete maria marie marina mario marion marius mark markus marlene martha martin
    martina mary mathias matteo matthias max maximilian mehmet melanie merve mia michael
    michaela michelle mike mila miriam mirko mohamed mohammed monika moritz muhammad
    mustafa nadine nadja natalie nick nico nicola nicole niklas nils nina noah nora norbert
    ole olga oliver olivia oskar otto pascal patricia patrick paul paula pauline peter petra
    philipp pia rainer ralf ralph raphael rebecca regina reinhard renate rene robert robin
    roland rolf rosa rüdiger ruth sabine sabrina sally sam samira samuel sandra sara sarah
    sascha sebastian selin silke simon simone sina sofia sonja sophia sophie stefan stefanie
    steffen stephan stephanie susanne sven svenja sylvia tanja theo thomas thorsten
    tim timo tina tobias tom tomas toni torsten ulla ulrich ulrike ursula uta ute uwe valentin
    vanessa vera verena viktor viktoria volker walter werner wilhelm willi wolfgang yasemin
    yusuf zeynep
    """
)

# Words that make the capitalised word after them a name ("Frau Weber", "Mr Patel").
TITLES: Final = _word_set("frau herr dr prof mr mrs ms")
