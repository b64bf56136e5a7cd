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
    /queue - ожидающие заявки ваших команд, самые срочные первыми; /queue all, /queue КОМАНДА - всех команд, одной команды
    /take - взять следующую заявку ваших команд; /take НОМЕР - взять эту
    /case НОМЕР - прочитать заявку (ответы и переписку)
    /reply НОМЕР текст - написать человеку (или ответьте на пересланное от него сообщение)
    /canned - готовые ответы; /canned НОМЕР КЛЮЧ - отправить
    /verify НОМЕР - спросить у человека кодовое слово; вы узнаете только, совпало ли оно
    /note НОМЕР текст - внутренняя заметка, человеку не отправляется
    /release НОМЕР - вернуть в очередь
    /transfer НОМЕР КОМАНДА [заметка] - в очередь другой команды, снова ждёт; заметка внутренняя
    /assign НОМЕР ИМЯ [заметка] - передать заявку этому волонтёру; он увидит заметку, человеку ничего не сообщат
    /tag НОМЕР +МЕТКА -МЕТКА - добавить или убрать метки
    /priority НОМЕР N - задать приоритет вручную (1 самое срочное, до 4)
    /reopen НОМЕР - вернуть закрытую заявку в очередь её команды
    /close НОМЕР [ИТОГ] [заметка] - закрыть, указав, чем закончилось (идентификатор итога; если закрыть без итога, бот покажет их список); человек получит нейтральное уведомление, заметка останется внутренней (чтобы что-то ему сказать, сначала /reply)
    /remind НОМЕР 2d текст - напоминание себе по заявке, которую вы ведёте (30m, 4h, 2d, 1w); /reminders - ваши напоминания
    /mine - ваши открытые заявки
    /stats - счётчики и время ожидания
    /duty on, /duty off - начать или закончить смену: срочные заявки ваших команд приходят сначала вам; /duty - кто дежурит
    /block НОМЕР - человек больше не сможет подавать заявки, и ему об этом скажут
    /block НОМЕР silent - ему не скажут; его заявки не попадут в очередь
    /unblock НОМЕР - снять блокировку
    Админам: /invite [admin], /volunteers, /revoke ИМЯ, /audit НОМЕР, /teams, /team ИМЯ +КОМАНДА -КОМАНДА

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
desk-queue-line = { $reference } · { $urgent ->
        [yes] 🔴 СРОЧНО ·{" "}
       *[no] {""}
    }приоритет { $priority } · { $category } · { $team }{ $tags ->
        [none] {""}
       *[other] {" "}({ $tags })
    } · { $language } · ждёт { $waited }
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
# Sealed mode (casework/deliveries.py): the desk bot cannot write to people; the intake bot does.
desk-reply-queued = Передано боту приёма для человека по заявке { $reference }; он отправит сообщение, как только сможет. Если доставить не получится, вам сообщат.
desk-reply-failed = Не удалось доставить сообщение по заявке { $reference }: возможно, человек заблокировал бота. Сообщение сохранено в заявке.
desk-note-added = Заметка добавлена к { $reference }. Человеку она не отправляется.
desk-released = Заявка { $reference } возвращена в очередь.
desk-closed = Заявка { $reference } закрыта; человеку сообщили.
desk-closed-queued = Заявка { $reference } закрыта; бот приёма сообщит об этом человеку, как только сможет.
desk-closed-untold = Заявка { $reference } закрыта. Человеку сейчас ничего не отправлено (ему пишут, только когда он пишет сам, или не пройдена проверка кодового слова); когда он напишет, ему скажут, что заявка закрыта.
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
desk-volunteer-line = { $handle } · { $role } · был(а) активен { $active }{ $revoked ->
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
# A message written after closing is kept and offers to reopen or start anew (casework/followup.py,
# after_closed), so writing here is enough; /start works too.
case-closed = Ваша заявка { $reference } закрыта. Если снова понадобится помощь, просто напишите сюда.
open-request = У вас есть открытая заявка { $reference }. Пишите сюда, чтобы дополнить её, или отправьте /status. Чтобы подать отдельную новую заявку, нажмите кнопку.
new-request = Подать новую заявку

canned-wait = Мы получили вашу заявку. Волонтёр ответит вам здесь; срочные заявки читают первыми. Пожалуйста, не присылайте имена, адреса и фото документов.
canned-safety = Для вашей безопасности: удаляйте этот чат после каждого разговора, включите автоудаление (меню чата → Автоудаление) и никому вокруг не рассказывайте о своих планах.
# Advice, not a statement of law. Only a civilian is told not to go to the enlistment office
# unasked (without a summons); a serviceman is not told to stay away from his unit, which would
# be advice to desert without a plan (issue 12): the volunteer gives the rest.
canned-legal = Вашу ситуацию посмотрит юрист нашей группы. Пока он не ответил, постарайтесь ничего не подписывать. Если вы не на службе, не ходите в военкомат сами, без повестки. Если вы на службе, не принимайте резких решений: что делать дальше, обсудите с волонтёром.
canned-secure = Для следующих шагов мы хотели бы перейти в более защищённый канал. Волонтёр расскажет вам, как это сделать, здесь, в этом боте.
canned-details = Чтобы помочь, нам нужно чуть больше: опишите ситуацию в нескольких предложениях, без имён, номеров частей и адресов.

desk-blocked = Человек по заявке { $reference } больше не сможет подавать новые заявки.
desk-cap-reached = ⚠️ Достигнут часовой предел: новые заявки за последний час отправили больше человек, чем INTAKE_CASES_PER_HOUR_CAP ({ $cap }). Остальных просят подождать; проверьте, нет ли флуда, или увеличьте предел.
desk-stale = ⚠️ Открытые заявки без движения { $days } дн.: { $references }

# Telegram lets a bot delete messages of a private chat only for 48 hours (Bot API, deleteMessage).
desk-copies-left = ⚠️ Из чата { $handle } не удалось убрать { $count ->
        [one] { $count } сообщение
        [few] { $count } сообщения
       *[many] { $count } сообщений
    } о заявке { $reference } (старше 48 часов или Telegram отказал): попросите удалить { $count ->
        [one] его
       *[other] их
    } вручную.
desk-queue-priorities = Приоритет 1 — самый срочный (опасность прямо сейчас); такие заявки отмечены 🔴.
desk-queue-held = Придержаны (тихая блокировка, без уведомлений): { $references }
desk-mine-line = { $reference } · { $urgent ->
        [yes] 🔴 СРОЧНО ·{" "}
       *[no] {""}
    }приоритет { $priority } · { $category } · { $language } · у вас { $waited }
desk-case-close-reason = Закрыта с причиной (внутренней, человеку её не показали): { $reason }
desk-case-held = Придержана: автор заблокирован тихо, поэтому заявка не попадает в очередь.
desk-release-waiting = Заявку { $reference } никто не ведёт: она уже в очереди.
desk-release-closed = Заявка { $reference } закрыта; возвращать в очередь нечего.
desk-close-closed = Заявка { $reference } уже закрыта.
desk-blocked-silently = Человек по заявке { $reference } заблокирован тихо: ему не сообщают, для него всё как прежде, но его заявки не попадают в очередь (админы видят их в /queue). /unblock { $reference } снимает блокировку.
desk-unblocked = Человек по заявке { $reference } больше не заблокирован.{ $count ->
        [0] {""}
        [one] {" "}{ $count } придержанная заявка теперь в очереди.
        [few] {" "}{ $count } придержанные заявки теперь в очереди.
       *[other] {" "}{ $count } придержанных заявок теперь в очереди.
    }
desk-active-this-hour = в течение последнего часа
desk-active-ago = { $days ->
        [0] { $hours ->
                [one] { $hours } час назад
                [few] { $hours } часа назад
               *[other] { $hours } часов назад
            }
       *[other] { $days } дн. { $hours } ч назад
    }

## После закрытия заявки человек пишет снова.
after-close-offer = Ваша заявка { $reference } закрыта. Ваше сообщение сохранено: добавить его к этой заявке, открыв её снова, или к новой заявке? В любом случае оно не потеряется.
reopen-request = Открыть эту заявку снова
reopened = Ваша заявка { $reference } снова открыта и передана волонтёрам; ваше сообщение добавлено к ней. Волонтёр напишет вам здесь.
reopen-not-closed = Ваша заявка { $reference } открыта: просто пишите сюда, чтобы дополнить её.
desk-reopened = Заявка { $reference }, которую вы вели, снова открыта её автором и вернулась в очередь.
desk-take-held = Заявка { $reference } придержана: её автор заблокирован тихо. /unblock { $reference } вернёт её в очередь.
desk-audit-reason = причина (внутренняя): { $reason }
desk-relayed-edit = ✏️ { $reference }, человек исправил сообщение: { $text }
desk-answered-more = Заявка { $reference }, которую вы ведёте: её автор ответил на остальные вопросы. /case { $reference } покажет их.

# Проверка кодового слова (casework/verification.py): волонтёр узнаёт только «совпало» или нет.
desk-verify-asked = { $reference }: у человека спросили кодовое слово. Вы узнаете только, совпало ли оно.
desk-verify-asked-later = { $reference }: человек просил писать ему, только когда он пишет сам, поэтому кодовое слово спросят тогда. Вы узнаете только, совпало ли оно.
desk-verify-none = { $reference }: кодовое слово для этой заявки не задано.
desk-verify-closed = Заявка { $reference } закрыта: спрашивать некого.
desk-verify-waiting = { $reference }: кодовое слово уже спросили; ответа пока нет.
desk-verify-match = { $reference }: кодовое слово совпало.
desk-verify-match-released = { $reference }: кодовое слово совпало. Придержанные сообщения доставлены.
desk-verify-miss = { $reference }: кодовое слово не совпало (попытка { $attempt } из 3).
desk-verify-failed = ⚠ { $reference }: кодовое слово не совпало три раза. Заявка помечена: телефон, возможно, в чужих руках. Ответы на него придерживаются; /verify { $reference } спросит снова, и при совпадении они будут доставлены.
desk-reply-held-silence = Сохранено в заявке { $reference }: человек не писал больше { $days ->
        [one] { $days } дня
       *[other] { $days } дней
    }, поэтому сначала у него спросят кодовое слово. Сообщение будет доставлено, если оно совпадёт.
desk-reply-held-check = Сохранено в заявке { $reference }: человек ещё не ответил на вопрос о кодовом слове. Сообщение будет доставлено, если оно совпадёт.
desk-reply-held-flagged = Сохранено в заявке { $reference }: кодовое слово не совпало три раза, поэтому на этот телефон ничего не отправляется. /verify { $reference } спросит снова; при совпадении придержанные сообщения будут доставлены.
desk-case-codeword-set = Кодовое слово: задано
desk-case-codeword-flagged = ⚠ Кодовое слово не совпало три раза: телефон, возможно, в чужих руках.
desk-case-codeword-waiting = Кодовое слово: спросили, ответа пока нет

## Команды (dialogs/routing.yaml): названия команд и меток, и команды для работы с ними.
team-duty = Дежурные (срочное)
team-evacuation = Эвакуация
team-asylum = Убежище за границей
team-legal = Юристы
team-psych = Психологическая помощь
tag-criminal_case = уголовное дело
tag-health = здоровье
tag-checked_phone = телефон могут проверить
tag-foreign = иностранный гражданин
tag-relative = пишет другой человек
tag-documents_taken = документы у части
desk-queue-of = Очередь: { $teams }
desk-queue-empty-of = Ожидающих заявок нет (очередь: { $teams }).
desk-nothing-to-take-of = Ожидающих заявок нет (очередь: { $teams }).
desk-all-teams = все команды
desk-team-unknown = Команды { $team } нет. Команды: { $teams }
desk-take-other-team = Заявка { $reference } в очереди другой команды ({ $team }). Обратитесь к ним или к админу.
desk-case-team = Команда: { $team }{ $tags ->
        [none] {""}
       *[other] {" "}· { $tags }
    }
desk-team-now = { $handle } теперь в командах: { $teams }
desk-team-none = { $handle } теперь ни в одной команде и работает со всеми очередями.
desk-teams-title = Команды:
desk-teams-line = { $name } ({ $team }) · открытых заявок: { $open }, ждут: { $waiting } · { $members }
desk-teams-nobody = в команде пока никого
desk-teams-teamless = Ни в одной команде (работают со всеми очередями): { $handles }

## Передача (casework/desk/handover.py): /transfer, /assign, /tag, /priority, /reopen. Человеку об
## этом ничего не сообщается; уведомления команде — без содержания.
desk-transferred = Заявка { $reference } теперь ждёт в очереди: { $team }.
desk-transferred-in = ➡️ Заявку { $reference } передали в очередь: { $team } · приоритет { $priority } · { $language }. /take { $reference }
desk-transferred-away = Заявку { $reference }, которую вы вели, { $handle } передал(а) в очередь: { $team }. Вы её больше не ведёте.
desk-transfer-closed = Заявка { $reference } закрыта. Сначала /reopen { $reference }.
desk-transfer-same = Заявка { $reference } и так в очереди: { $team }.
desk-tag-unknown = Метки { $tag } нет. Метки: { $tags }
desk-tagged = Метки заявки { $reference }: { $tags ->
        [none] нет
       *[other] { $tags }
    }
desk-priority-range = Приоритет — число от 1 (самое срочное) до 4, а не { $value }.
desk-priority-set = Приоритет заявки { $reference }: { $old } → { $priority }.
desk-assign-unknown = Активного волонтёра { $handle } нет.
desk-assign-closed = Заявка { $reference } закрыта. Сначала /reopen { $reference }.
desk-assign-already = { $handle } уже ведёт заявку { $reference }.
desk-assigned = Заявку { $reference } теперь ведёт { $handle }, уведомление отправлено.
desk-assigned-to-you = 📥 { $handle } передал(а) вам заявку { $reference }: теперь её ведёте вы. /case { $reference } — прочитать.
desk-assigned-note = 📝 Внутренняя заметка (человеку не отправляется): { $text }
desk-assigned-away = Заявку { $reference }, которую вы вели, { $by } передал(а) волонтёру { $handle }. Вы её больше не ведёте.
desk-reopen-not-closed = Заявка { $reference } не закрыта.
desk-reopened-by-desk = Заявка { $reference } снова открыта и ждёт в очереди: { $team }.

## Reminders, outcomes, statistics and team canned replies (issue 13: /remind, /reminders,
## /close REF OUTCOME, /stats, /canned per team; dialogs/routing.yaml).
desk-remind-set = Напоминание поставлено: заявка { $reference }, через { $when }. Ваши напоминания: /reminders.
desk-remind-bad-time = «{ $word }» - не срок: нужно целое число и m, h, d или w, например 30m, 4h, 2d или 1w (не больше 52w).
desk-reminder = ⏰ Напоминание, заявка { $reference }: { $text }
desk-reminders-none = У вас нет напоминаний.
desk-reminders-title = { $count ->
        [one] { $count } напоминание:
        [few] { $count } напоминания:
       *[many] { $count } напоминаний:
    }
desk-reminders-line = { $reference } · через { $when } · { $text }
outcome-left_russia = выезд из России
outcome-safe_inside = безопасное место в России
outcome-legal_consultation = дана юридическая консультация
outcome-psych_support = дана психологическая поддержка
outcome-asylum_help = помощь с убежищем за границей
outcome-referred_partner = передано партнёрской группе
outcome-no_contact = нет связи
outcome-not_our_profile = не наш профиль
outcome-suspected_provocation = подозрение на провокацию
desk-outcome-unknown = Итога { $outcome } нет. Итоги: { $outcomes }
desk-closed-no-outcome = Итог не записан. В следующий раз: /close НОМЕР ИТОГ [заметка], итоги: { $outcomes }
desk-case-outcome = Итог: { $outcome }
desk-stats-recent-title = За последние 30 дней, заявки по командам и итогам (число меньше 5 показано как <5):
desk-stats-recent-line = { $team } · { $outcome }: { $count }
desk-stats-reply-title = Медианное время до первого ответа за последние 30 дней:
desk-stats-reply-line = { $team }: { $median }
desk-stats-too-few = ответов: { $count }, слишком мало, чтобы показать
desk-stats-no-team = без команды
desk-stats-outcome-open = ещё открыты
desk-stats-outcome-none = закрыты без итога
desk-canned-team = Команда { $team } (на её заявках вместо общего ответа с тем же ключом):
desk-canned-not-for-team = Готовый ответ { $key } не для заявок команды «{ $team }». Список: /canned.
canned-legal-legal = Вашу заявку получила наша юридическая команда; юрист ответит вам здесь. А пока, пожалуйста, ничего не подписывайте и напишите нам даты на бумагах, которые вы получили (только даты, без фото документов).
canned-evacuation-route = Вашу заявку получила наша команда эвакуации. Пожалуйста, не покупайте билеты и никому не рассказывайте о планах, пока не обсудите их с волонтёром: он разберёт с вами маршрут здесь.
canned-psych-support = Психолог нашей группы может поговорить с вами здесь, в этом чате. Не нужно объяснять всё сразу: пишите, когда будете готовы. Если вам прямо сейчас грозит опасность, напишите об этом в первую очередь.

## Дежурства и эскалация (casework/desk/duty.py, casework/notices.py): без содержания заявок.
desk-duty-now-on = Вы на дежурстве: срочные новые заявки ваших команд приходят сначала вам. Когда смена закончится: /duty off
desk-duty-now-off = Вы сняты с дежурства. Срочные заявки ваших команд придут вам, только если никто из команды не дежурит.
desk-duty-title = На дежурстве:
desk-duty-line = { $name }: { $handles }
desk-duty-nobody = никого (срочные заявки приходят всей команде)
desk-duty-teamless = Ни в одной команде (работают со всеми очередями): { $handles }
desk-duty-you-on = Вы на дежурстве.
desk-duty-you-off = Вы не на дежурстве. Заступить: /duty on
desk-urgent-unclaimed = 🚨 Срочную заявку { $reference } (приоритет { $priority }) никто не взял. /take { $reference }
desk-no-reply-holder = ⏰ Срочная заявка { $reference } (приоритет { $priority }): человеку нет ответа уже { $waited } с тех пор, как вы её взяли. /reply { $reference } или /release { $reference }
desk-no-reply-team = ⏰ Срочная заявка { $reference } (приоритет { $priority }), в работе у { $handle }: человеку нет ответа уже { $waited }.
desk-person-wrote-waiting = 💬 Человек из ожидающей заявки { $reference } (приоритет { $priority }) снова написал. /take { $reference }
desk-reply-web-waiting = Сохранено в заявке { $reference }: человек писал через веб-страницу, чата у него нет, поэтому сообщение ждёт в его веб-переписке, пока он не войдёт снова.
desk-case-channel = Откуда: { $channel }
desk-channel-telegram = Telegram
desk-channel-web = веб-страница (ответы ждут, пока человек не войдёт)
desk-closed-web = Заявка { $reference } закрыта. Человек пишет через веб-страницу, поэтому в чат ничего не отправлено: он увидит, что заявка закрыта, когда войдёт снова.
desk-verify-web = { $reference }: человек пишет через веб-страницу и входит по своей парольной фразе: она и подтверждает, что это он. Чата, где спросить кодовое слово, нет, поэтому его не спрашивают.
desk-web-read = 👀 { $reference }: человек прочитал ваш ответ на веб-странице.
desk-case-web-read = Веб-переписку последний раз читали: { $day } (UTC, только день)
desk-case-web-unread = Веб-переписку последний раз читали: ещё нет
