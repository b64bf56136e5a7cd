## Texts of the bot around the questionnaire.

button-done = Done ✔
button-skip = Skip
button-back = ← Back
selected-mark = ✅ { $option }

answer-skipped = (skipped)
answer-separator = {", "}

stale-button = This question has passed. Here is the current one.
unsupported-media = Please answer with text or the buttons only. Do not send photos, voice messages, stickers or files: they can identify you, and we cannot read them here.
expected-button = Please choose one of the buttons below.
text-empty = The message is empty. Please write a few words, or use the buttons.
text-too-long =
    The text is too long: { $length ->
        [one] { $length } character
       *[other] { $length } characters
    }, the limit is { $max }. Please shorten it and send it again.
choose-at-least-one = Choose at least one option, then press “Done”.
back-at-start = This is the first question.
resumed = You have an unfinished request. We continue where you left off.

help =
    This bot passes your request to volunteers of a support group. They help people who do not want to fight: with the law, leaving, a safe place, documents and psychological support.

    Commands:
    /start - start, or continue where you left off
    /back - the previous question
    /cancel - stop and discard the unfinished questionnaire
    /language - change the language
    /status - where your request stands
    /forget - erase everything you sent to this bot
    /help - this message

    Do not send your name, unit number, exact location or documents.

cancel-confirm = Discard the unfinished questionnaire? Your answers will be deleted.
cancel-yes = Yes, discard
cancel-no = No, continue
cancelled = The questionnaire was discarded. Send /start to begin again.
cancel-nothing = There is nothing to cancel. Send /start to begin.

language-choose = Choose your language:
no-draft = Send /start to begin.

submitted =
    Your request has been sent. Its reference: { $reference }

    A volunteer will write to you here, in this bot. Their Telegram account stays hidden from you, and yours from them. Answers usually come within a day; urgent requests are read first.
    Keep the reference; do not keep anything else. If you need to add something, just write here.
already-submitted = Your request { $reference } has been sent and is waiting for a volunteer. Send /start to make a new request.

unknown-command = I do not know this command. Send /help for the list.
error-try-again = Something went wrong on our side. Your answers are kept; please try again in a minute.
too-fast = You are sending messages very fast. Please wait a minute, then send your last message again.

forget-confirm = Erase everything you sent to this bot: the unfinished questionnaire and your requests? This cannot be undone.
forget-yes = Yes, erase everything
forget-no = No, keep it
forget-kept = Nothing was erased.
forget-done =
    Erased. { $cases ->
        [0] There were no sent requests.
        [one] { $cases } sent request was erased.
       *[other] { $cases } sent requests were erased.
    }
    You can also delete this chat in Telegram.

command-start = Start, or continue where you left off
command-back = The previous question
command-cancel = Stop and discard the questionnaire
command-language = Change the language
command-help = What this bot does
command-forget = Erase everything you sent
command-status = Where your request stands

blocked = We cannot accept new requests from this account.
busy-try-later = We are receiving very many requests right now. Your answers are saved: please press “Send the request” again in an hour.
autodelete-on = Auto-delete is on for this chat. Good: it keeps your phone clean.
autodelete-off = Auto-delete is off. We suggest turning it on again (chat menu → Auto-delete) in case your phone is checked.
forget-undeletable = Telegram refused to delete some of the messages here. Please delete this chat in Telegram yourself.

outbox-kept = We could not store your request right now. Your answers are kept safely and will be sent automatically; we will tell you here as soon as it is done.
outbox-waiting = Your answers are kept and will be sent as soon as we can store them; we will tell you here.
outbox-sent = Your request has now been sent. Its reference: { $reference }. A volunteer will write to you here.

# Telegram lets a bot delete messages of a private chat only for 48 hours (Bot API, deleteMessage).
forget-older = The bot can delete only messages from the last 48 hours that it still has on record (it keeps no record of older ones, nor, on some setups, of those from before it last restarted): anything older stays in this chat until you delete it.
# Over a person's own limits (INTAKE_OPEN_CASES_PER_PERSON, INTAKE_NEW_CASES_PER_PERSON_PER_DAY).
limit-open = You already have { $count ->
        [one] { $count } open request
       *[other] { $count } open requests
    }: that is the most one person can have at a time. Your answers stay saved here for { $hours } hours after your last change: once one of your requests is closed, press “Send the request” again.
limit-daily = You have sent { $count ->
        [one] { $count } new request
       *[other] { $count } new requests
    } in the last 24 hours: that is the most one person can send in a day. Your answers stay saved here for { $hours } hours after your last change: press “Send the request” again once 24 hours have passed since the first of them.
limit-write-in-open = To add something to your open request { $reference } instead: send /cancel (this discards the answers above), then write your message here. It is added to that request, and the volunteer handling it sees it.
edit-not-applied = This edit changes nothing: the bot keeps that message as you first sent it, and so does a volunteer's copy of it. To correct an answer, tap it on the review screen before sending; to add to a sent request, write a new message; /forget erases everything you sent.
edit-applied = Your edit replaced that answer; the answers shown before sending will have the new text. Carry on where you were.
edit-too-long = That edit is too long for the answer, so the answer was not changed. Shorten it, or tap the answer on the review screen to write it again.
edit-entry-applied = Your edit replaced that message in your request. If a volunteer had already read it, they get the edited text too; their copy of the first text stays in their chat.
media-deleted = For your safety, the bot deleted that file from this chat without opening it: photos, voice messages, videos, stickers and documents can identify you. Please write in words instead.
quiet-first-line = ·
held-waiting =
    { $count ->
        [one] 1 message is waiting for you:
       *[other] { $count } messages are waiting for you:
    }
desk-reply-held = Kept in case { $reference }: its person asked to be written to only when they write. It will be delivered when they next write to the bot.
flag-unit = This looks like a military unit's number. It can identify you if the request leaks. Keep it or remove it?
flag-phone = This looks like a phone number. It can identify you if the request leaks. Keep it or remove it?
flag-name = This looks like a full name. It can identify you if the request leaks. Keep it or remove it?
flag-keep = Keep it
flag-remove = Remove it
flag-write-again = Removed, nothing of it was kept. Please write it again without that detail.
flag-gone = That message is no longer waiting here. Please send it again.
