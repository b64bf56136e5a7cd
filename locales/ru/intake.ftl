## Анкета. Ключи соответствуют dialogs/intake.yaml:
## <step>-question, <step>-label (экран проверки), <step>-opt-<option> (кнопки), notice-<id>.
## Кнопки нарочно нейтральные: телефон могут проверить, и текст кнопки не должен сам быть уликой.

language-question = Выберите язык / Choose your language.
language-opt-ru = Русский
language-opt-en = English

# Источники: политика конфиденциальности Telegram, п. 8.3 (номер и IP по решению суда);
# Bot API deleteMessage (бот удаляет сообщения только в первые 48 часов);
# DOMAIN.md (настоящие группы не просят денег, фото документов, адрес и номер части).
consent-question =
    Здравствуйте. Мы волонтёры, помогаем тем, кто не хочет воевать, и их близким. Помощь бесплатная.

    Мы никогда не просим денег, фото документов, адрес или номер части. Если кто-то просит это от нашего имени, это не мы.

    Что важно знать до начала:
    • Переписка здесь не защищена сквозным шифрованием. По решению суда Telegram может передать властям ваш номер телефона и IP-адрес.
    • Ответы хранятся зашифрованными. Их может прочитать волонтёр, который возьмёт заявку, и администраторы нашей группы.
    • /forget стирает всё, что вы прислали. Сообщения в самом чате бот может удалить только пока Telegram это позволяет (48 часов).
    • Поставьте облачный пароль (двухэтапную аутентификацию) в настройках конфиденциальности Telegram и включите автоудаление в этом чате.
    • Если удалить чат с ботом, мы можем больше не суметь вам ответить.
    • /cancel прерывает анкету, /back возвращает на шаг назад.

    Продолжим?
consent-opt-agree = Понятно, продолжить
consent-opt-decline = Нет, не сейчас

declined-question =
    Хорошо. Ничего не сохранено.
    Если захотите вернуться, отправьте /start в любой момент.

who-question = Кому нужна помощь?
who-label = Кому нужна помощь
who-opt-self = Мне
who-opt-other_person = Близкому человеку

other_knows-question = Он (она) знает, что вы пишете нам?
other_knows-label = Знает, что вы пишете
other_knows-opt-yes = Да, знает
other_knows-opt-no = Нет, пока не знает

status-question = Какая сейчас ситуация у вас (или у него/неё)?
status-label = Ситуация
status-opt-not_called = Пока ничего не пришло
status-opt-summons = Повестка (бумажная или электронная)
status-opt-pressed_to_sign = Уговаривают подписать контракт
status-opt-conscript = Срочная служба
status-opt-mobilized = Мобилизован(а)
status-opt-contract = Служба по контракту
status-opt-foreign_contract = Иностранец, контракт с армией РФ
status-opt-refuser_held = Держат после отказа
status-opt-left_unit = Уже не в части
status-opt-abroad = Уже за границей
status-opt-other = Другое

summons_date-question = На какой день вас (или его/её) вызывают по повестке?
summons_date-label = Дата по повестке
summons_date-opt-today_or_past = Сегодня или уже прошёл
summons_date-opt-within_week = В ближайшую неделю
summons_date-opt-later = Позже
summons_date-opt-no_date = Дата не указана или не знаю

# Источник: Федеральный закон № 127-ФЗ от 14.04.2023 (поправки к закону «О воинской обязанности
# и военной службе»): запрет на выезд из России действует со дня, когда повестка внесена в реестр
# повесток, а не с момента, когда её получили на руки. О 7 днях нарочно не пишем.
notice-summons-exit =
    ⚠️ Важно про выезд: с того дня, как повестка внесена в электронный реестр, выезд из России уже может быть закрыт, даже если вы её не видели.
    Пожалуйста, не езжайте на границу, пока не поговорите с волонтёром.

location-question = Где вы (или он/она) сейчас? Только примерно, без города и адреса.
location-label = Где сейчас
location-opt-russia = В России
location-opt-front_zone = В зоне боевых действий или на занятой территории
location-opt-abroad = За пределами России

movement-question = Где вы (или он/она) сейчас по службе?
movement-label = Где по службе
movement-opt-in_unit = В части
movement-opt-on_leave = В отпуске или дома
movement-opt-in_hospital = В госпитале
movement-opt-in_custody = Задержан(а) или под стражей

abroad_region-question = В какой стране или регионе? Без города и адреса.
abroad_region-label = Страна или регион
abroad_region-opt-armenia = Армения
abroad_region-opt-kazakhstan = Казахстан
abroad_region-opt-kyrgyzstan = Киргизия
abroad_region-opt-belarus = Беларусь
abroad_region-opt-other_cis = Другая страна СНГ
abroad_region-opt-georgia = Грузия
abroad_region-opt-turkey = Турция
abroad_region-opt-europe = Европа
abroad_region-opt-elsewhere = Другое место

return_risk-question = Есть ли риск, что вас (или его/её) вернут в Россию?
return_risk-label = Риск возвращения
return_risk-opt-detained = Уже задержан(а)
return_risk-opt-threatened = Есть тревожные признаки
return_risk-opt-worried = Не знаю, но тревожно
return_risk-opt-safe = Похоже, что нет

criminal_case-question = Есть ли на вас (или на нём/ней) дело, уголовное или административное?
criminal_case-label = Дело
criminal_case-opt-yes = Да
criminal_case-opt-no = Нет
criminal_case-opt-dont_know = Не знаю

health-question = Есть ли у вас (или у него/неё) проблемы со здоровьем, ранение или болезнь?
health-label = Здоровье
health-opt-yes = Да
health-opt-no = Нет
health-opt-tell_volunteer = Расскажу волонтёру

urgency-question = Насколько это срочно?
urgency-label = Срочность
urgency-opt-now = Опасно прямо сейчас
urgency-opt-days = В ближайшие дни
urgency-opt-weeks = В ближайшие недели
urgency-opt-no_deadline = Без срока

# Источник: статья 51 Конституции РФ («Никто не обязан свидетельствовать против себя самого,
# своего супруга и близких родственников»). Без призывов к действию: решает человек с волонтёром.
notice-danger-now =
    ⚠️ Мы отметим заявку как срочную.
    • Если прямо сейчас жизни ничего не угрожает, не делайте резких шагов, пока не поговорите с нами.
    • Если вас задержали: ничего не подписывайте. Вы вправе не свидетельствовать против себя и близких (статья 51 Конституции).
    • Заявку можно отправить сразу, с теми ответами, что уже есть.

help-question = Какая помощь нужна? Отметьте всё подходящее и нажмите «Готово».
help-label = Нужна помощь
help-opt-leave_russia = Выехать из России
help-opt-safe_place = Безопасное место в России
help-opt-asylum = Остаться за границей (убежище, документы)
# С осени 2022 контракт сам не прекращается (DOMAIN.md): не обещаем «расторжение контракта».
help-opt-legal = Юрист (отсрочка, АГС, увольнение по здоровью, что грозит за СОЧ)
help-opt-psychological = Поддержка психолога
help-opt-other = Другое

documents-question = Какие документы сейчас на руках? Отметьте всё подходящее и нажмите «Готово». Фото документов не присылайте.
documents-label = Документы
documents-opt-internal_passport = Паспорт
documents-opt-foreign_passport = Загранпаспорт
documents-opt-military_id = Военный билет
documents-opt-taken_by_unit = Забрали в части
documents-opt-none = Ничего из этого

phone_checked-question = Ваш телефон могут проверить (командир, полиция, родные)?
phone_checked-label = Телефон могут проверить
phone_checked-opt-yes = Да
phone_checked-opt-no = Нет
phone_checked-opt-not_sure = Не уверен(а)

safe_time-question = Когда вам безопаснее получать от нас сообщения?
safe_time-label = Когда писать
safe_time-opt-any_time = В любое время
safe_time-opt-evenings = Вечером
safe_time-opt-when_i_write = Только когда я сам(а) напишу

# Кодовое слово хранится только как медленный хеш с солью (casework/codewords.py: Argon2id),
# поэтому «прочитать нельзя» верно; сообщение удаляется сразу (bot/handlers/person/questionnaire.py).
codeword-question =
    Если хотите, задайте кодовое слово: слово или короткую фразу, которые знаете только вы. Когда волонтёру нужно убедиться, что он пишет именно вам (после долгого молчания или если телефон мог оказаться в чужих руках), бот спросит его у вас, а волонтёр узнает только, совпало ли оно.
    Не берите пароль, который используете где-то ещё. Заглавные буквы и «ё» не важны. Сообщение с ним сразу удаляется из этого чата, а храним мы только его отпечаток: по нему слово можно проверить, но нельзя прочитать. Можно пропустить.
codeword-label = Кодовое слово

details-question =
    Если хотите, расскажите коротко, что случилось и чем помочь. Не больше { $max } знаков.
    Без имён, номеров частей, адресов и телефонов. Можно пропустить.
details-label = Описание

review-question = Проверьте ответы. Нажмите на ответ, чтобы изменить его, или отправьте заявку.
review-submit = ✅ Отправить заявку
review-change = ✏️ { $label }
