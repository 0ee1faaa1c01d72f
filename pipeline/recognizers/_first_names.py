"""Common first names (Polish, English, a few Ukrainian), lower-cased, for chat_names.

Used only by the weaker cues ("i'm anna", "tu kasia", "-- ola") to tell a lower-case name
from an ordinary word. Names that are also everyday English words are left out on purpose
(will, mark, bill, hope, joy, faith, may, june, april, summer, dawn, chase, guy,
don, pat, rob, sue, art, ray, sky, sunny, penny, angel, amber, holly, ivy, rose, jade,
max, jay, bob, frank, sandy, rich, miles, ed, rusty, rocky, crystal, destiny, ...):
"i'm frank" means "I'm honest". ("grace" is listed: as a name it is far more common in
chat than the word.) A capitalised name not in this list is still found after
a weak cue ("I'm Zbyszko"); only lower-case text depends on it.
"""

from __future__ import annotations

_POLISH_FEMALE = """
anna maria katarzyna małgorzata agnieszka barbara ewa krystyna elżbieta magdalena joanna
aleksandra zofia monika teresa danuta natalia karolina marta beata dorota halina jadwiga
janina alicja julia jolanta irena iwona grażyna paulina justyna bożena urszula renata
sylwia agata helena hanna emilia patrycja izabela weronika dominika wiktoria martyna edyta
kinga klaudia stanisława ewelina gabriela oliwia amelia lena maja zuzanna laura nikola
antonina pola nina milena kamila wanda genowefa marianna lucyna wioletta bogumiła mirosława
aneta żaneta sandra roksana adrianna angelika daria diana eliza jagoda kornelia liliana
michalina nadia sara tamara wiesława zdzisława ilona bernadeta lidia regina rozalia celina
czesława felicja franciszka józefa leokadia władysława marzena mariola bogusława grażyna
kasia basia asia gosia ola ania madzia iza ela ula aga marysia zosia hania julka kaja
jola magda monia natka ala tosia wika gabrysia kamilka karolcia ewka dorotka agnieszka
justynka paula sabina malwina honorata eryka blanka jowita lucja ida łucja marcelina
apolonia aurelia bianka dagmara emilka iga inga klara konstancja ksenia matylda otylia
sonia tola wiktoria zuza basieńka kasieńka aneczka anka kaśka gośka baśka bożenka danka
elka halinka irenka jadzia janka krysia lusia marylka renia stasia tereska wiesia zdzisia
"""

_POLISH_MALE = """
jan andrzej piotr krzysztof stanisław tomasz paweł józef marcin marek michał grzegorz jerzy
tadeusz adam łukasz zbigniew ryszard dariusz henryk mariusz kazimierz wojciech robert
mateusz marian rafał jacek janusz mirosław maciej sławomir jarosław kamil wiesław roman
władysław jakub artur zdzisław edward mieczysław damian dawid przemysław sebastian czesław
leszek daniel waldemar szymon kacper filip bartosz bartłomiej antoni franciszek wiktor igor
oskar aleksander mikołaj hubert patryk dominik adrian konrad karol norbert oliwer leon
ignacy tymon tymoteusz stefan bogdan bogusław eugeniusz feliks zenon lech bolesław witold
wincenty emil radosław remigiusz arkadiusz cezary hieronim ireneusz julian kajetan ksawery
lucjan maksymilian miłosz nikodem olaf borys gustaw alan bruno natan fabian gabriel jędrzej
krystian marcel tobiasz witek kuba tomek piotrek bartek staszek janek wojtek
maciek krzysiek grzesiek franek antek darek mirek rysiek heniek zbyszek jurek józek sławek
jarek radek przemek arek irek lechu mati mateo kazik włodek zdzisiek edek gienek leszek
waldek bogdanek kamilek szymek filipek kubuś tadek władek stasiek andrzejek adaś jasiek
ludwik albert alfred benedykt bernard błażej dionizy eryk ernest florian gerard jeremi
joachim juliusz konstanty leonard maurycy oktawian oskar seweryn teodor tymek
wacław walenty wiesiek zygmunt
"""

_ENGLISH_FEMALE = """
mary patricia jennifer linda elizabeth barbara susan jessica sarah karen lisa nancy betty
margaret sandra ashley kimberly emily donna michelle carol amanda dorothy melissa deborah
stephanie rebecca sharon laura cynthia kathleen amy angela shirley anna brenda pamela emma
nicole helen samantha katherine christine debra rachel carolyn janet catherine maria heather
diane ruth julie olivia joyce virginia victoria kelly lauren christina joan evelyn judith
megan andrea cheryl hannah jacqueline martha gloria teresa ann sara madison frances kathryn
janice jean abigail alice judy sophia julia denise doris marilyn danielle beverly isabella
theresa diana natalie brittany charlotte marie kayla alexis lori chloe ella mia ava amelia
harper zoe lily sophie lucy ellie jane kate katie claire molly jess jenny becky liz beth
meg annie nora leah lydia alison fiona gemma kirsty louise nicola paula rosie stacey tracy
vicky wendy yvonne zara eva isla freya poppy evie daisy florence imogen scarlett phoebe
matilda millie esme georgia harriet jasmine abby abbie aimee amelie ana anne bella brooke
caitlin cara carly caroline cassie chelsea ciara clara courtney eleanor elena eliza ellen
erin gabriella georgina hayley heidi isabel isabelle jenna jodie
jordan kara katy kelsey kristen leanne lindsay lorna lucinda maddie maisie
melanie mollie naomi natasha niamh paige rebekah rhiannon robyn sasha shannon sienna
sophia stella tara tiffany valerie vanessa yasmin grace
"""

_ENGLISH_MALE = """
james john robert michael william david richard joseph thomas charles christopher daniel
matthew anthony donald steven paul andrew joshua kenneth kevin brian george timothy ronald
edward jason jeffrey ryan jacob gary nicholas eric jonathan stephen larry justin scott
brandon benjamin samuel gregory alexander patrick raymond jack dennis jerry tyler aaron jose
adam nathan henry douglas zachary peter kyle ethan walter noah jeremy christian keith roger
terry gerald harold sean austin carl arthur lawrence dylan jesse bryan billy joe bruce
gabriel logan albert willie alan juan wayne elijah randy roy vincent ralph eugene russell
bobby mason philip louis liam oliver lucas harry charlie oscar leo freddie alfie archie theo
tom tommy dan danny dave mike mick steve chris matt andy nick ben sam tim jim jimmy jon josh
jake luke alex eddie ted tony pete rick richie greg jeff ken kev ron stuart ian neil colin
graham gavin lee craig darren dean jamie callum connor kieran rhys owen evan lewis finn
isaac hugo jayden aiden caleb carter cameron dominic elliot elliott ewan fraser gareth
harvey jackson jasper joel jonah joey kai lachlan leon mohammed muhammad nathaniel niall
ollie reece riley rory seb sebastian simon spencer toby travis trevor troy victor wesley
xavier zach zack barry brendan clive derek geoffrey glen howard jonny julian kenny lionel
malcolm martin maurice nigel norman phil ricky rodney ross shane sid stanley warren
"""

_UKRAINIAN = """
oksana olena iryna tetiana tatiana yulia svitlana halyna nataliia kateryna viktoriia olha
andrii oleksandr dmytro serhii volodymyr maksym mykola yurii vitalii oleh bohdan taras
ihor vasyl ivan roman artem denys yevhen anastasiia sofiia daryna khrystyna
"""

_LISTED = " ".join((_POLISH_FEMALE, _POLISH_MALE, _ENGLISH_FEMALE, _ENGLISH_MALE, _UKRAINIAN)).split()
# Chat often drops Polish diacritics: "pawel", "lukasz", "malgorzata" are listed too.
_ASCII = str.maketrans("ąćęłńóśźż", "acelnoszz")

FIRST_NAMES: frozenset[str] = frozenset(_LISTED) | frozenset(name.translate(_ASCII) for name in _LISTED)
