## Анкета. Ключи соответствуют dialogs/intake.yaml:
## <step>-question, <step>-label (экран проверки), <step>-opt-<option> (кнопки), notice-<id>.

language-question = Выберите язык / Choose your language.
language-opt-ru = Русский
language-opt-en = English

consent-question =
    Прежде чем начать, прочитайте, пожалуйста.

    • Это бот в Telegram. Переписка здесь не защищена сквозным шифрованием: Telegram видит этот чат и может передать его по запросу властей.
    • Не присылайте имя, номер части, точное местонахождение, фото и документы. Мы спросим только то, что нужно, чтобы найти того, кто вам поможет.
    • Ваши ответы хранятся в зашифрованном виде, их читает только волонтёр, который возьмёт вашу заявку.
    • В любой момент можно стереть всё, что вы прислали, командой /forget. /cancel прерывает анкету, /back возвращает к предыдущему вопросу.
    • Включите автоудаление сообщений в этом чате (меню чата → Автоудаление) и удаляйте чат, если телефон могут проверить.

    Продолжить на этих условиях?
consent-opt-agree = Понятно, продолжить
consent-opt-decline = Нет, остановиться

declined-question =
    Понятно. Ничего не сохранено.
    Если передумаете, отправьте /start в любой момент.

who-question = Кому нужна помощь?
who-label = Кому нужна помощь
who-opt-self = Мне
who-opt-other_person = Близкому человеку (родственнику или другу)

status-question = Какая сейчас ситуация?
status-label = Ситуация
status-opt-not_called = Пока не призван
status-opt-summons = Пришла повестка (бумажная или электронная)
status-opt-conscript = Срочная служба
status-opt-mobilized = Мобилизован
status-opt-contract = Служба по контракту
status-opt-left_unit = Уже покинул часть
status-opt-abroad = Уже за границей
status-opt-other = Другое

location-question = Где человек находится сейчас? Только примерно: без города и адреса.
location-label = Где сейчас
location-opt-russia = В России
location-opt-front_zone = На оккупированной территории или в зоне боевых действий
location-opt-abroad = За пределами России

abroad_region-question = В какой части мира? Только регион, без страны и города.
abroad_region-label = Регион
abroad_region-opt-central_asia = Центральная Азия (Казахстан, Киргизия и соседние страны)
abroad_region-opt-caucasus = Южный Кавказ (Армения, Грузия, Азербайджан)
abroad_region-opt-europe = Европа
abroad_region-opt-elsewhere = Другое место

return_risk-question = Есть ли риск выдачи или депортации в Россию?
return_risk-label = Риск выдачи
return_risk-opt-detained = Задержан сейчас или есть запрос об экстрадиции
return_risk-opt-threatened = Да, есть признаки (розыск, визит, звонок)
return_risk-opt-worried = Неизвестно, но я беспокоюсь
return_risk-opt-safe = Нет, похоже, что нет

urgency-question = Насколько это срочно?
urgency-label = Срочность
urgency-opt-now = Опасность прямо сейчас
urgency-opt-days = В ближайшие дни
urgency-opt-weeks = В ближайшие недели
urgency-opt-no_deadline = Без срока

notice-danger-now =
    ⚠️ Если вы в опасности прямо сейчас:
    • Никому вокруг не рассказывайте о своих планах и не храните этот чат в телефоне: удаляйте его после каждого разговора.
    • Если можете, уйдите туда, где за вами не наблюдают, и оставайтесь на связи в этом боте.
    • Ответьте на следующие вопросы быстро: заявка будет отмечена как срочная.

help-question = Какая помощь нужна? Выберите всё подходящее и нажмите «Готово».
help-label = Нужна помощь
help-opt-leave_russia = Выехать из России
help-opt-safe_place = Безопасное место в России
help-opt-asylum = Остаться за границей в безопасности (убежище, документы)
help-opt-legal = Юридическая консультация (отсрочка, АГС, расторжение контракта)
help-opt-psychological = Психологическая поддержка
help-opt-other = Другое

documents-question = Какие документы на руках? Выберите всё подходящее и нажмите «Готово». Фото документов не присылайте.
documents-label = Документы
documents-opt-internal_passport = Внутренний паспорт
documents-opt-foreign_passport = Загранпаспорт
documents-opt-military_id = Военный билет
documents-opt-taken_by_unit = Забрали в части
documents-opt-none = Ничего из этого

details-question =
    Опишите в нескольких предложениях, что случилось и что нужно. Не больше { $max } знаков.
    Пожалуйста, без имён, номеров частей, адресов и телефонов. Этот вопрос можно пропустить.
details-label = Описание

contact-question = Как нам ответить?
contact-label = Как ответить
contact-opt-bot_only = Только в этом боте
contact-opt-secure_channel = В этом боте; волонтёр может предложить более защищённый канал

review-question = Проверьте ответы. Нажмите на ответ, чтобы изменить его, или отправьте заявку.
review-submit = ✅ Отправить заявку
review-change = ✏️ { $label }

summons_age-question =
    Повестка пришла (или появилась на Госуслугах) больше 7 дней назад?
    Электронная повестка считается врученной через 7 дней, после этого может последовать запрет на выезд из России.
summons_age-label = Повестке больше 7 дней
summons_age-opt-yes = Да
summons_age-opt-no = Нет
