## Стол волонтёров: тексты для волонтёров и то, что человек слышит о своей заявке.

duration =
    { $days ->
        [0] { $hours ->
                [0] { $minutes ->
                        [one] { $minutes } минута
                        [few] { $minutes } минуты
                       *[many] { $minutes } минут
                    }
               *[other] { $hours } ч { $minutes } мин
            }
       *[other] { $days ->
                [one] { $days } день
                [few] { $days } дня
               *[many] { $days } дней
            } { $hours } ч
    }

desk-help =
    Стол волонтёров:
    /queue - ожидающие заявки, самые срочные первыми
    /take - взять следующую заявку; /take НОМЕР - взять эту
    /case НОМЕР - прочитать заявку (ответы и переписку)
    /reply НОМЕР текст - написать человеку (или ответьте на пересланное от него сообщение)
    /canned - готовые ответы; /canned НОМЕР КЛЮЧ - отправить
    /note НОМЕР текст - внутренняя заметка, человеку не отправляется
    /release НОМЕР - вернуть в очередь
    /close НОМЕР [причина] - закрыть; человеку сообщат
    /mine - ваши открытые заявки
    /stats - счётчики и время ожидания
    /block НОМЕР - человек больше не сможет подавать заявки
    Админам: /invite [admin], /volunteers, /revoke ИМЯ, /audit НОМЕР

desk-status-waiting = ждёт
desk-status-taken = в работе
desk-status-closed = закрыта

# Категории анкеты (dialogs/intake.yaml, "category") так, как их видят волонтёры.
category-left_unit = оставил(а) часть
category-serving = на службе
category-abroad = за пределами России
category-summons = получил(а) повестку
category-civilian = не призван(а)
category-other = другая ситуация

desk-queue-empty = Очередь пуста.
desk-queue-title = { $count ->
        [one] Ждёт { $count } заявка:
        [few] Ждут { $count } заявки:
       *[many] Ждут { $count } заявок:
    }
desk-queue-line = { $reference } · приоритет { $priority } · { $category } · { $language } · ждёт { $waited }
desk-nothing-to-take = Ожидающих заявок нет.
desk-taken = Вы взяли заявку { $reference }.
desk-not-found = Заявки { $reference } нет.
desk-not-available = Заявка { $reference } недоступна: её ведёт другой волонтёр или она закрыта.
desk-not-yours = Заявку { $reference } ведёте не вы.
desk-usage = Формат: { $usage }

desk-case-header = Заявка { $reference } · { $status } · приоритет { $priority } · { $category } · { $language } · открыта { $age } назад
desk-case-holder = Ведёт { $handle }.
desk-case-answers = Ответы:
desk-case-conversation = Переписка:
desk-case-no-conversation = Сообщений пока нет.
desk-entry-person = 👤 человек, { $age } назад: { $text }
desk-entry-volunteer = 💬 { $author }, { $age } назад: { $text }
desk-entry-note = 📝 заметка { $author }, { $age } назад: { $text }
desk-skipped = (пропущено)

desk-reply-sent = Отправлено человеку по заявке { $reference }.
desk-reply-failed = Не удалось доставить сообщение по заявке { $reference }: возможно, человек заблокировал бота. Сообщение сохранено в заявке.
desk-note-added = Заметка добавлена к { $reference }. Человеку она не отправляется.
desk-released = Заявка { $reference } возвращена в очередь.
desk-closed = Заявка { $reference } закрыта; человеку сообщили.
desk-mine-empty = У вас нет открытых заявок.
desk-mine-title = Ваши открытые заявки:
desk-text-hint = Чтобы написать человеку, используйте /reply НОМЕР текст или ответьте на пересланное от него сообщение.

desk-stats =
    Ждут: { $waiting } · в работе: { $taken } · закрыты: { $closed }
    Медианное время до первого ответа: { $median }
    Самая старая ожидающая заявка: { $oldest }
    Активных волонтёров: { $volunteers }
desk-none = нет

desk-new-case = 🆕 Новая заявка { $reference } · приоритет { $priority } · { $language }. /take { $reference }
desk-urgent-waiting = ⏰ Срочная заявка { $reference } всё ещё ждёт ({ $waited }). /take { $reference }
desk-relayed = 📨 { $reference }, от человека: { $text }
desk-person-erased = Человек по заявке { $reference } стёр свои данные; заявки больше нет.

desk-invite = Одноразовое приглашение ({ $role }), действует { $hours } ч: { $code }
    Новый волонтёр отправляет этому боту /join { $code }
desk-joined = Добро пожаловать. Другие волонтёры видят вас как { $handle }; ваш аккаунт в Telegram скрыт от тех, кто пишет.
desk-admins-only = Это могут только админы.
desk-volunteers-title = Волонтёры:
desk-volunteer-line = { $handle } · { $role } · был(а) активен { $active } назад{ $revoked ->
        [yes] {" "}· доступ отозван
       *[no] {""}
    }
desk-revoked = У { $handle } больше нет доступа; { $count ->
        [one] { $count } заявка вернулась
        [few] { $count } заявки вернулись
       *[many] { $count } заявок вернулись
    } в очередь.
desk-revoke-unknown = Волонтёра { $handle } нет.
desk-audit-title = История { $reference }:
desk-audit-line = { $at } · { $actor } · { $action }{ $detail }
desk-audit-empty = По { $reference } ничего не записано.

desk-canned-title = Готовые ответы (отправить: /canned НОМЕР КЛЮЧ):
desk-canned-line = { $key }: { $preview }
desk-canned-unknown = Готового ответа { $key } нет. Список: /canned.

## Что слышит человек, который написал.

status-none = У вас нет заявок. Чтобы подать заявку, отправьте /start.
status-waiting = Ваша заявка { $reference } ждёт волонтёра. Срочные заявки читают первыми.
status-taken = Волонтёр работает с вашей заявкой { $reference }. Он напишет вам здесь.
status-closed = Ваша заявка { $reference } закрыта. Если снова понадобится помощь, просто напишите сюда.

message-added = Ваше сообщение добавлено к заявке { $reference }. Волонтёр его прочитает.
message-delivered = Ваше сообщение передано волонтёру.
volunteer-says =
    💬 Ваш волонтёр:
    { $text }
case-closed = Ваша заявка { $reference } закрыта. Если снова понадобится помощь, отправьте /start.
case-closed-reason = Ваша заявка { $reference } закрыта: { $reason }. Если снова понадобится помощь, отправьте /start.
open-request = У вас есть открытая заявка { $reference }. Пишите сюда, чтобы дополнить её, или отправьте /status. Чтобы подать отдельную новую заявку, нажмите кнопку.
new-request = Подать новую заявку

canned-wait = Мы получили вашу заявку. Волонтёр ответит вам здесь; срочные заявки читают первыми. Пожалуйста, не присылайте имена, адреса и фото документов.
canned-safety = Для вашей безопасности: удаляйте этот чат после каждого разговора, включите автоудаление (меню чата → Автоудаление) и никому вокруг не рассказывайте о своих планах.
canned-legal = Юрист нашей группы посмотрит вашу ситуацию. До этого ничего не подписывайте и не ходите в военкомат или часть по своей инициативе.
canned-secure = Для следующих шагов мы хотели бы перейти в более защищённый канал. Волонтёр расскажет вам, как это сделать, здесь, в этом боте.
canned-details = Чтобы помочь, нам нужно чуть больше: опишите ситуацию в нескольких предложениях, без имён, номеров частей и адресов.

desk-blocked = Человек по заявке { $reference } больше не сможет подавать новые заявки.
desk-cap-reached = ⚠️ Больше { $cap } новых заявок за последний час. Новых отправителей просят подождать; проверьте, нет ли флуда, или увеличьте INTAKE_CASES_PER_HOUR_CAP.
desk-stale = ⚠️ Открытые заявки без движения { $days } дн.: { $references }
desk-relayed-edit = ✏️ { $reference }, человек исправил сообщение: { $text }
