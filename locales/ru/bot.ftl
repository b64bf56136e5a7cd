## Тексты бота вокруг анкеты.

button-done = Готово ✔
button-skip = Пропустить
button-back = ← Назад
selected-mark = ✅ { $option }

answer-skipped = (пропущено)
answer-secret-set = задано (скрыто)
answer-separator = {", "}

stale-button = Этот вопрос уже пройден. Вот текущий.
# Media is answered with this text and neither stored nor relayed (bot/handlers/person/questionnaire.py;
# dialogs/engine.py, Unsupported); the message stays in the chat until deleted.
# Файлы (фото, голосовые, видео, стикеры, документы) бот удаляет сразу (media-deleted);
# этот текст для того, что он не удаляет: геопозиция, контакт, опрос.
unsupported-media = Пожалуйста, отвечайте текстом или кнопками. Геопозиция, контакты и опросы до волонтёра не доходят, а по ним можно узнать, кто вы: лучше удалите это сообщение.
expected-button = Пожалуйста, выберите одну из кнопок ниже.
text-empty = Сообщение пустое. Напишите несколько слов или воспользуйтесь кнопками.
text-too-long =
    Текст слишком длинный: { $length ->
        [one] { $length } знак
        [few] { $length } знака
       *[many] { $length } знаков
    }, а можно не больше { $max }. Сократите его и отправьте ещё раз.
text-too-short =
    Нужно хотя бы { $min ->
        [one] { $min } знак
        [few] { $min } знака
       *[many] { $min } знаков
    }.
choose-at-least-one = Выберите хотя бы один вариант и нажмите «Готово».
back-at-start = Это первый вопрос.
resumed = У вас есть незаконченная заявка. Продолжаем с того места, где вы остановились.

# What the bot does: README "Safety of the person who writes" and docs/threat-model.md (5: the
# volunteer never sees the person's Telegram account; 7: Telegram sees bot chats). The commands
# are those the bot handles (bot/handlers/person/questionnaire.py, COMMANDS); the auto-delete
# hint is the one the threat model (1) says /help gives.
help =
    Этот бот передаёт вашу заявку волонтёрам. Бот задаёт несколько вопросов, а потом волонтёр отвечает вам здесь, в этом чате. Ваш аккаунт в Telegram волонтёр не видит.

    Команды:
    /status — что с вашей заявкой
    /web — продолжить заявку на веб-странице
    /forget — стереть всё, что вы присылали в этот бот
    /cancel — прервать анкету и удалить ответы
    /back — вернуться к предыдущему вопросу
    /language — сменить язык
    /start — начать или продолжить анкету
    /help — эта справка

    Telegram может видеть эту переписку. Не пишите имя, номер части, адрес и не присылайте документы.
    Чтобы сообщения исчезали сами, включите автоудаление: меню чата → Автоудаление.

cancel-confirm = Удалить незаконченную анкету? Ваши ответы будут стёрты.
cancel-yes = Да, удалить
cancel-no = Нет, продолжить
cancelled = Анкета удалена. Чтобы начать заново, отправьте /start.
cancel-nothing = Отменять нечего. Чтобы начать, отправьте /start.

language-choose = Выберите язык:
no-draft = Чтобы начать, отправьте /start.

# The volunteer never sees the person's account, nor the person the volunteer's (docs/threat-model.md,
# 5). Queue order: most urgent first (desk /queue). The bot finds the request by the person's
# pseudonym: a message written here joins the open request, /status answers (casework/followup.py).
submitted =
    Ваша заявка отправлена. Её номер: { $reference }

    Волонтёр напишет вам здесь, в этом боте. Он не видит ваш аккаунт в Telegram, а вы — его. Срочные заявки читают первыми.
    Ничего сохранять не нужно: бот сам найдёт вашу заявку. Номер пригодится, только если захотите поговорить о ней с волонтёром. Если хотите что-то добавить, просто напишите сюда.
already-submitted = Ваша заявка { $reference } отправлена и ждёт волонтёра. Чтобы подать новую, отправьте /start.

unknown-command = Такой команды нет. Список команд: /help.
# The desk bot in sealed mode, to anyone who is not a volunteer: nothing else, nothing kept.
desk-bot-private = Это закрытый бот.
# bot/handlers/errors.py sends this after any failure, also one while saving: it promises nothing.
error-try-again = У нас что-то пошло не так. Попробуйте, пожалуйста, ещё раз через минуту.
too-fast = Вы отправляете сообщения очень быстро. Подождите минуту и отправьте последнее сообщение ещё раз.

# casework/erasure.py: the draft and every case (answers and conversation) are crypto-shredded.
forget-confirm = Стереть всё, что вы присылали в этот бот: анкету, заявки и переписку с волонтёром? Восстановить будет нельзя.
forget-yes = Да, стереть всё
forget-no = Нет, оставить
forget-kept = Ничего не стёрто.
# bot/cleanup.py: the draft and report.cases cases are erased (storage/erasure.py, erase_person);
# what is left in the chat is said by forget-undeletable and forget-older, which always follow.
forget-done =
    Готово: бот стёр у себя всё, что вы ему присылали. { $cases ->
        [0] Отправленных заявок у вас не было.
        [one] В том числе { $cases } отправленная заявка и переписка по ней.
        [few] В том числе { $cases } отправленные заявки и переписка по ним.
       *[many] В том числе { $cases } отправленных заявок и переписка по ним.
    }

command-start = Начать или продолжить с того места, где вы остановились
command-back = Предыдущий вопрос
command-cancel = Прервать и удалить анкету
command-language = Сменить язык
command-help = Что делает этот бот
command-forget = Стереть всё, что вы прислали
command-status = Что с вашей заявкой
command-web = Продолжить заявку на веб-странице

# /web (casework/webcodes.py): одноразовый код, хранится только его хеш с ключом; после него ответы
# волонтёра ждут на веб-странице, а то, что человек пишет здесь, по-прежнему попадает в заявку.
continue-web-code =
    Ваш одноразовый код для веб-страницы: { $code }

    Откройте веб-страницу этого бота, выберите «Продолжить заявку из Telegram» и введите там код. Он действует один раз, в течение часа. Вы получите кодовую фразу для заявки { $reference }: после этого ответы волонтёра будут появляться на веб-странице, а не здесь. Писать сюда тоже можно.
continue-web-none = У вас нет открытой заявки, которую можно продолжить на веб-странице. Чтобы подать заявку, отправьте /start.

blocked = Мы не можем принимать новые заявки с этого аккаунта.
# The hourly cap (INTAKE_CASES_PER_HOUR_CAP); the draft stays for INTAKE_DRAFT_TTL_HOURS (72 by default).
# Also shown as a callback alert: at most 200 characters (Bot API, answerCallbackQuery).
busy-try-later = Сейчас приходит очень много заявок. Ваши ответы сохранены: нажмите «Отправить заявку» ещё раз примерно через час.
# Telegram's auto-delete timer removes messages once the chosen time has passed, not before.
autodelete-on = Автоудаление в этом чате включено: сообщения будут исчезать сами через выбранное время.
autodelete-off = Автоудаление выключено. Советуем включить его снова (меню чата → Автоудаление) на случай проверки телефона.
forget-undeletable = Telegram не дал удалить часть сообщений в этом чате. Пожалуйста, удалите этот чат в Telegram сами.

outbox-kept = Сейчас мы не смогли сохранить заявку. Ваши ответы сохранены и будут отправлены автоматически; мы сообщим здесь, как только это произойдёт.
outbox-waiting = Ваши ответы сохранены и будут отправлены, как только мы сможем их записать; мы сообщим здесь.
outbox-sent = Ваша заявка отправлена. Её номер: { $reference }. Волонтёр напишет вам здесь.

# Telegram lets a bot delete messages of a private chat only for 48 hours (Bot API, deleteMessage);
# the bot remembers message ids only that long, and on some setups not across a restart (README).
forget-older = Бот может удалить из этого чата только сообщения последних 48 часов, и то не всегда все. Всё, что осталось, будет здесь, пока вы сами не удалите этот чат.
# Over a person's own limits (INTAKE_OPEN_CASES_PER_PERSON, INTAKE_NEW_CASES_PER_PERSON_PER_DAY).
limit-open = У вас уже { $count ->
        [one] { $count } открытая заявка
        [few] { $count } открытые заявки
       *[many] { $count } открытых заявок
    }: больше одному человеку одновременно иметь нельзя. Бот хранит ваши ответы { $hours } ч. после последнего изменения: когда одну из ваших заявок закроют, нажмите «Отправить заявку» ещё раз.
limit-daily = За последние 24 часа вы отправили { $count ->
        [one] { $count } новую заявку
        [few] { $count } новые заявки
       *[many] { $count } новых заявок
    }: больше одному человеку за сутки отправить нельзя. Бот хранит ваши ответы { $hours } ч. после последнего изменения: нажмите «Отправить заявку» ещё раз, когда пройдут сутки с первой из них.
limit-write-in-open = Чтобы вместо этого дополнить открытую заявку { $reference }: отправьте /cancel (ответы выше будут удалены), затем напишите сообщение сюда. Оно добавится к этой заявке, и его увидит волонтёр, который ею занимается.
edit-not-applied = Это исправление ничего не меняет: у бота остаётся сообщение в том виде, в каком вы его отправили, как и в копии у волонтёра. Чтобы исправить ответ, нажмите на него на экране проверки перед отправкой; чтобы дополнить отправленную заявку, напишите новое сообщение; /forget стирает всё, что вы прислали.
edit-applied = Ваше исправление заменило этот ответ; в ответах перед отправкой будет новый текст. Продолжайте с того же места.
edit-too-long = Исправление слишком длинное для ответа, поэтому ответ не изменён. Сократите его или нажмите на ответ на экране проверки и напишите заново.
edit-entry-applied = Ваше исправление заменило это сообщение в заявке. Если волонтёр уже прочитал его, он тоже получит исправленный текст; копия первого текста остаётся у него в чате.

# "Send now": a person in danger sends what they answered so far, at once.
button-send-now = 🚨 Отправить сейчас
sent-now =
    Ваша заявка отправлена как срочная. Её номер: { $reference }

    Волонтёр напишет вам здесь. Если можете, ответьте на оставшиеся вопросы: так вам смогут помочь точнее. Если нет, ничего страшного, больше ничего не нужно.
button-answer-rest = Ответить на остальные
sent-rest-added = Спасибо. Ваши ответы добавлены к заявке { $reference }. Волонтёр напишет вам здесь.
cancel-confirm-sent = Не отвечать на оставшиеся вопросы? Заявка { $reference } уже отправлена и остаётся у волонтёров.
cancelled-sent = Оставшиеся вопросы отменены. Заявка { $reference } по-прежнему у волонтёров; чтобы что-то добавить, напишите сюда.
sent-now-already = Уже отправлено. Номер заявки: { $reference }

media-deleted = Ради вашей безопасности бот удалил этот файл из чата, не открывая его: по фото, голосовым, видео, стикерам и документам можно узнать, кто вы. Пожалуйста, напишите словами.
quiet-first-line = ·
held-waiting =
    { $count ->
        [one] Вас ждёт { $count } сообщение:
        [few] Вас ждут { $count } сообщения:
       *[many] Вас ждут { $count } сообщений:
    }
desk-reply-held = Сохранено в заявке { $reference }: человек просил писать ему, только когда он пишет сам. Сообщение будет доставлено, когда он в следующий раз напишет боту.
flag-unit = Похоже на номер воинской части. Если заявка попадёт в чужие руки, по нему можно узнать, кто вы. Оставить или убрать?
flag-phone = Похоже на номер телефона. Если заявка попадёт в чужие руки, по нему можно узнать, кто вы. Оставить или убрать?
flag-name = Похоже на полное имя. Если заявка попадёт в чужие руки, по нему можно узнать, кто вы. Оставить или убрать?
flag-keep = Оставить
flag-remove = Убрать
flag-write-again = Убрано, ничего из этого не сохранено. Пожалуйста, напишите ещё раз без этой подробности.
flag-gone = Это сообщение здесь больше не ждёт. Пожалуйста, отправьте его ещё раз.

# Проверка кодового слова (casework/verification.py): ответ сверяется с хранимым хешем и
# удаляется из чата (bot/handlers/person/codeword.py); после трёх неверных проверка кончается.
codeword-asked-volunteer = Волонтёр просит ваше кодовое слово, чтобы убедиться, что пишет именно вам. Отправьте его следующим сообщением; оно сразу удалится из этого чата.
codeword-asked-silence = Вы давно не писали. Прежде чем продолжить, отправьте, пожалуйста, кодовое слово следующим сообщением; оно сразу удалится из этого чата.
# Sealed mode: the intake bot cannot open the kept hash; the desk judges and answers.
codeword-received = Спасибо. Ответ проверяется; результат придёт сюда.
codeword-right = Спасибо, всё верно.
codeword-wrong =
    Не совпадает. { $left ->
        [one] Можно попробовать ещё один раз.
        [few] Можно попробовать ещё { $left } раза.
       *[many] Можно попробовать ещё { $left } раз.
    }
codeword-failed = Снова не совпадает. Волонтёр решит, как быть дальше.
