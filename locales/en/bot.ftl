## Texts of the bot around the questionnaire.

button-done = Done ✔
button-skip = Skip
button-back = ← Back
selected-mark = ✅ { $option }

answer-skipped = (skipped)
answer-secret-set = set (hidden)
answer-separator = {", "}

stale-button = This question has passed. Here is the current one.
# Media is answered with this text and neither stored nor relayed (bot/handlers/person/questionnaire.py;
# dialogs/engine.py, Unsupported); the message stays in the chat until deleted.
# Files (photos, voice, video, stickers, documents) are deleted by the bot at once (media-deleted);
# this is for what it cannot delete for you: a location, a contact, a poll.
unsupported-media = Please answer with text or the buttons only. Locations, contacts and polls do not reach the volunteer, and they can show who you are: better delete that message.
expected-button = Please choose one of the buttons below.
text-empty = The message is empty. Please write a few words, or use the buttons.
text-too-long =
    The text is too long: { $length ->
        [one] { $length } character
       *[other] { $length } characters
    }, the limit is { $max }. Please shorten it and send it again.
text-too-short =
    Please use at least { $min ->
        [one] { $min } character
       *[other] { $min } characters
    }.
choose-at-least-one = Choose at least one option, then press “Done”.
back-at-start = This is the first question.
resumed = You have an unfinished request. We continue where you left off.

# What the bot does: README "Safety of the person who writes" and docs/threat-model.md (5: the
# volunteer never sees the person's Telegram account; 7: Telegram sees bot chats). The commands
# are those the bot handles (bot/handlers/person/questionnaire.py, COMMANDS); the auto-delete
# hint is the one the threat model (1) says /help gives.
help =
    This bot passes your request to volunteers. It asks a few questions; then a volunteer answers you here, in this chat. The volunteer does not see your Telegram account.

    Commands:
    /status - where your request stands
    /web - continue your request on the web page
    /forget - erase everything you sent to this bot
    /cancel - stop the questionnaire and delete the answers
    /back - go back to the previous question
    /language - change the language
    /start - start or continue the questionnaire
    /help - this message

    Telegram can see this chat. Do not write your name, unit number or address, and do not send documents.
    To have messages disappear by themselves, turn on auto-delete: chat menu → Auto-delete.

cancel-confirm = Discard the unfinished questionnaire? Your answers will be deleted.
cancel-yes = Yes, discard
cancel-no = No, continue
cancelled = The questionnaire was discarded. Send /start to begin again.
cancel-nothing = There is nothing to cancel. Send /start to begin.

language-choose = Choose your language:
no-draft = Send /start to begin.

# The volunteer never sees the person's account, nor the person the volunteer's (docs/threat-model.md,
# 5). Queue order: most urgent first (desk /queue). The bot finds the request by the person's
# pseudonym: a message written here joins the open request, /status answers (casework/followup.py).
submitted =
    Your request has been sent. Its reference: { $reference }

    A volunteer will write to you here, in this bot. They do not see your Telegram account, and you do not see theirs. Urgent requests are read first.
    You do not need to keep anything: the bot finds your request by itself. The reference is only for when you talk about it with a volunteer. If you want to add something, just write here.
already-submitted = Your request { $reference } has been sent and is waiting for a volunteer. Send /start to make a new request.

unknown-command = I do not know this command. Send /help for the list.
# The desk bot in sealed mode, to anyone who is not a volunteer: nothing else, nothing kept.
desk-bot-private = This is a private bot.
# bot/handlers/errors.py sends this after any failure, also one while saving: it promises nothing.
error-try-again = Something went wrong on our side. Please try again in a minute.
too-fast = You are sending messages very fast. Please wait a minute, then send your last message again.

# casework/erasure.py: the draft and every case (answers and conversation) are crypto-shredded.
forget-confirm = Erase everything you sent to this bot: the questionnaire, your requests and the conversation with the volunteer? This cannot be undone.
forget-yes = Yes, erase everything
forget-no = No, keep it
forget-kept = Nothing was erased.
# bot/cleanup.py: the draft and report.cases cases are erased (storage/erasure.py, erase_person);
# what is left in the chat is said by forget-undeletable and forget-older, which always follow.
forget-done =
    Done: the bot has erased everything of yours it kept. { $cases ->
        [0] You had no sent requests.
        [one] That includes { $cases } sent request and its conversation.
       *[other] That includes { $cases } sent requests and their conversations.
    }

command-start = Start, or continue where you left off
command-back = The previous question
command-cancel = Stop and discard the questionnaire
command-language = Change the language
command-help = What this bot does
command-forget = Erase everything you sent
command-status = Where your request stands
command-web = Continue your request on the web page

# /web (casework/webcodes.py): a one-time code, kept only as a keyed hash; once it is used the
# volunteer's replies wait in the web thread, and what the person writes here still joins the request.
continue-web-code =
    Your one-time code for the web page: { $code }

    Open this bot's web page, choose “Continue a request from Telegram” and type the code there. It works once, within one hour. You will get a passphrase for your request { $reference }: from then on the volunteer's replies are shown on the web page, not here. You can still write here as well.
continue-web-none = You have no open request to continue on the web. Send /start to make one.

blocked = We cannot accept new requests from this account.
# The hourly cap (INTAKE_CASES_PER_HOUR_CAP); the draft stays for INTAKE_DRAFT_TTL_HOURS (72 by default).
# Also shown as a callback alert: at most 200 characters (Bot API, answerCallbackQuery).
busy-try-later = We are receiving very many requests right now. Your answers are saved: please press “Send the request” again in about an hour.
# Telegram's auto-delete timer removes messages once the chosen time has passed, not before.
autodelete-on = Auto-delete is on for this chat: messages will disappear by themselves after the time you chose.
autodelete-off = Auto-delete is off. We suggest turning it on again (chat menu → Auto-delete) in case your phone is checked.
forget-undeletable = Telegram refused to delete some of the messages here. Please delete this chat in Telegram yourself.

outbox-kept = We could not store your request right now. Your answers are kept and will be sent automatically; we will tell you here as soon as it is done.
outbox-waiting = Your answers are kept and will be sent as soon as we can store them; we will tell you here.
outbox-sent = Your request has now been sent. Its reference: { $reference }. A volunteer will write to you here.

# Telegram lets a bot delete messages of a private chat only for 48 hours (Bot API, deleteMessage);
# the bot remembers message ids only that long, and on some setups not across a restart (README).
forget-older = The bot can delete only messages from the last 48 hours in this chat, and not always all of them. Whatever is left stays here until you delete this chat yourself.
# Over a person's own limits (INTAKE_OPEN_CASES_PER_PERSON, INTAKE_NEW_CASES_PER_PERSON_PER_DAY).
limit-open = You already have { $count ->
        [one] { $count } open request
       *[other] { $count } open requests
    }: that is the most one person can have at a time. The bot keeps your answers for { $hours } hours after your last change: once one of your requests is closed, press “Send the request” again.
limit-daily = You have sent { $count ->
        [one] { $count } new request
       *[other] { $count } new requests
    } in the last 24 hours: that is the most one person can send in a day. The bot keeps your answers for { $hours } hours after your last change: press “Send the request” again once 24 hours have passed since the first of them.
limit-write-in-open = To add something to your open request { $reference } instead: send /cancel (this discards the answers above), then write your message here. It is added to that request, and the volunteer handling it sees it.
edit-not-applied = This edit changes nothing: the bot keeps that message as you first sent it, and so does a volunteer's copy of it. To correct an answer, tap it on the review screen before sending; to add to a sent request, write a new message; /forget erases everything you sent.
edit-applied = Your edit replaced that answer; the answers shown before sending will have the new text. Carry on where you were.
edit-too-long = That edit is too long for the answer, so the answer was not changed. Shorten it, or tap the answer on the review screen to write it again.
edit-entry-applied = Your edit replaced that message in your request. If a volunteer had already read it, they get the edited text too; their copy of the first text stays in their chat.

# "Send now": a person in danger sends what they answered so far, at once.
button-send-now = 🚨 Send now
sent-now =
    Your request has been sent as urgent. Its reference: { $reference }

    A volunteer will write to you here. If you can, answer the remaining questions: it helps them help you. If you cannot, that is fine, nothing more is needed.
button-answer-rest = Answer the rest
sent-rest-added = Thank you. Your answers were added to your request { $reference }. A volunteer will write to you here.
cancel-confirm-sent = Stop answering the remaining questions? Your request { $reference } is already sent and stays with the volunteers.
cancelled-sent = The remaining questions were dropped. Your request { $reference } is still with the volunteers; write here to add to it.
sent-now-already = Already sent. Its reference: { $reference }

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

# A codeword check (casework/verification.py): the answer is compared with the kept hash and
# deleted from the chat (bot/handlers/person/codeword.py); three wrong answers end the check.
codeword-asked-volunteer = A volunteer asks for your codeword, to be sure they are writing to you. Please send it as your next message; it is deleted from this chat at once.
codeword-asked-silence = You have not written for a while. Before we go on, please send your codeword as your next message; it is deleted from this chat at once.
# Sealed mode: the intake bot cannot open the kept hash; the desk judges and answers.
codeword-received = Thank you. It is being checked; you will be told the result here.
codeword-right = Thank you, that is right.
codeword-wrong =
    That does not match. { $left ->
        [one] You can try once more.
       *[other] You can try { $left } more times.
    }
codeword-failed = That does not match either. The volunteer will decide how to go on.
