## The volunteer desk: texts for volunteers, and what the person hears about their request.

duration =
    { $days ->
        [0] { $hours ->
                [0] { $minutes ->
                        [one] { $minutes } minute
                       *[other] { $minutes } minutes
                    }
               *[other] { $hours } h { $minutes } min
            }
       *[other] { $days ->
                [one] { $days } day
               *[other] { $days } days
            } { $hours } h
    }

desk-help =
    Volunteer desk:
    /queue - waiting cases of your teams, most urgent first; /queue all, /queue TEAM - everyone's, one team's
    /take - take the next case of your teams; /take REF - take that case
    /case REF - read a case (answers and conversation)
    /reply REF text - write to the person (or reply to their relayed message)
    /canned - canned replies; /canned REF KEY - send one
    /verify REF - ask the person for their codeword; you learn only whether it matches
    /note REF text - an internal note, never sent to the person
    /release REF - back to the queue
    /transfer REF TEAM [note] - to another team's queue, waiting again; the note is internal
    /assign REF HANDLE [note] - hand the case to that volunteer; they see the note, the person is told nothing
    /tag REF +TAG -TAG - add or remove tags
    /priority REF N - set the priority by hand (1 most urgent, to 4)
    /reopen REF - a closed case back to its team's queue
    /close REF [OUTCOME] [note] - close, with how it ended (an outcome id; closing without one lists them); the person gets a neutral notice, the note stays internal (to tell them something, /reply first)
    /remind REF 2d text - a reminder to you about a case you hold (30m, 4h, 2d, 1w); /reminders - your pending ones
    /mine - your open cases
    /stats - counts and waiting times
    /duty on, /duty off - start or end your shift: urgent cases of your teams come to you first; /duty - who is on duty
    /block REF - the person can no longer open requests, and is told so
    /block REF silent - they are not told; their requests never reach the queue
    /unblock REF - lift a block
    Admins: /invite [admin], /volunteers, /revoke HANDLE, /audit REF, /teams, /team HANDLE +TEAM -TEAM

desk-status-waiting = waiting
desk-status-taken = taken
desk-status-closed = closed

# The questionnaire's categories (dialogs/intake.yaml, "category"), as volunteers see them.
category-left_unit = left a unit
category-serving = in the forces
category-abroad = outside Russia
category-summons = summons received
category-civilian = not called up
category-other = other situation

desk-queue-empty = The queue is empty.
desk-queue-title = { $count ->
        [one] { $count } case is waiting:
       *[other] { $count } cases are waiting:
    }
desk-queue-line = { $reference } · { $urgent ->
        [yes] 🔴 URGENT ·{" "}
       *[no] {""}
    }priority { $priority } · { $category } · { $team }{ $tags ->
        [none] {""}
       *[other] {" "}({ $tags })
    } · { $language } · waiting { $waited }
desk-nothing-to-take = No case is waiting.
desk-taken = You took case { $reference }.
desk-not-found = There is no case { $reference }.
desk-not-available = Case { $reference } is not available: someone else holds it, or it is closed.
desk-not-yours = You do not hold case { $reference }.
desk-usage = Usage: { $usage }

desk-case-header = Case { $reference } · { $status } · priority { $priority } · { $category } · { $language } · opened { $age } ago
desk-case-holder = Held by { $handle }.
desk-case-answers = Answers:
desk-case-conversation = Conversation:
desk-case-no-conversation = No messages yet.
desk-entry-person = 👤 person, { $age } ago: { $text }
desk-entry-volunteer = 💬 { $author }, { $age } ago: { $text }
desk-entry-note = 📝 note by { $author }, { $age } ago: { $text }
desk-skipped = (skipped)

desk-reply-sent = Sent to the person of case { $reference }.
# Sealed mode (casework/deliveries.py): the desk bot cannot write to people; the intake bot does.
desk-reply-queued = Handed to the intake bot for the person of case { $reference }; it sends it as soon as it can. You will hear if it cannot be delivered.
desk-reply-failed = Could not deliver to the person of case { $reference }: they may have blocked the bot. The message is kept in the case.
desk-note-added = Note added to { $reference }. It is never sent to the person.
desk-released = Case { $reference } is back in the queue.
desk-closed = Case { $reference } is closed; the person was told.
desk-closed-queued = Case { $reference } is closed; the intake bot tells the person as soon as it can.
desk-closed-untold = Case { $reference } is closed. Nothing was sent to its person now (they are written to only when they write, or their codeword check stands); when they next write, they are told it is closed.
desk-mine-empty = You hold no open cases.
desk-mine-title = Your open cases:
desk-text-hint = To write to a person, use /reply REF text, or reply to their relayed message.

desk-stats =
    Waiting: { $waiting } · taken: { $taken } · closed: { $closed }
    Median time to first reply: { $median }
    Oldest waiting case: { $oldest }
    Active volunteers: { $volunteers }
desk-none = none

desk-new-case = 🆕 New case { $reference } · priority { $priority } · { $language }. /take { $reference }
desk-urgent-waiting = ⏰ Urgent case { $reference } is still waiting ({ $waited }). /take { $reference }
desk-relayed = 📨 { $reference }, from the person: { $text }
desk-person-erased = The person of case { $reference } erased their data; the case is gone.

desk-invite = One-time invite ({ $role }), valid for { $hours } h: { $code }
    The new volunteer sends /join { $code } to this bot.
desk-joined = Welcome to the desk. Others see you as { $handle }; your Telegram account stays hidden from the people who write.
desk-admins-only = Only admins can do that.
desk-volunteers-title = Volunteers:
desk-volunteer-line = { $handle } · { $role } · last active { $active }{ $revoked ->
        [yes] {" "}· revoked
       *[no] {""}
    }
desk-revoked = { $handle } no longer has access; { $count ->
        [one] { $count } case went
       *[other] { $count } cases went
    } back to the queue.
desk-revoke-unknown = There is no volunteer { $handle }.
desk-audit-title = Trail of { $reference }:
desk-audit-line = { $at } · { $actor } · { $action }{ $detail }
desk-audit-empty = Nothing recorded for { $reference }.

desk-canned-title = Canned replies (send with /canned REF KEY):
desk-canned-line = { $key }: { $preview }
desk-canned-unknown = There is no canned reply { $key }. /canned lists them.

## What the person who wrote hears.

status-none = You have no requests. Send /start to make one.
status-waiting = Your request { $reference } is waiting for a volunteer. Urgent requests are read first.
status-taken = A volunteer is working on your request { $reference }. They will write to you here.
status-closed = Your request { $reference } was closed. If you need help again, just write here.

message-added = Your message was added to request { $reference }. A volunteer will read it.
message-delivered = Your message was passed to your volunteer.
volunteer-says =
    💬 Your volunteer:
    { $text }
# A message written after closing is kept and offers to reopen or start anew (casework/followup.py,
# after_closed), so writing here is enough; /start works too.
case-closed = Your request { $reference } has been closed. If you need help again, just write here.
open-request = You have an open request { $reference }. Write here to add to it, or send /status. To start a separate new request, press the button.
new-request = Start a new request

canned-wait = We have received your request. A volunteer will answer you here; urgent requests are read first. Please do not send names, addresses or photos of documents.
canned-safety = For your safety: delete this chat after each conversation, turn on auto-delete (chat menu → Auto-delete), and do not tell anyone around you about your plans.
# Advice, not a statement of law. Only a civilian is told not to go to the enlistment office
# unasked (without a summons); a serviceman is not told to stay away from his unit, which would
# be advice to desert without a plan (issue 12): the volunteer gives the rest.
canned-legal = A lawyer of our group will look at your situation. Until they answer, try not to sign anything. If you are not in the forces, do not go to the military enlistment office on your own, without a summons. If you are serving, do not make sudden decisions: talk the next steps over with your volunteer.
canned-secure = For the next steps we would like to move to a more secure channel. Your volunteer will tell you how, here in this bot.
canned-details = To help you we need a little more: please describe your situation in a few sentences, without names, unit numbers or addresses.

desk-blocked = The person of case { $reference } can no longer open new requests.
desk-cap-reached = ⚠️ The hourly limit was reached: more people than INTAKE_CASES_PER_HOUR_CAP ({ $cap }) sent a new request in the last hour. Others who try now are asked to wait; check for a flood or raise the limit.
desk-stale = ⚠️ Open cases untouched for { $days } days: { $references }

# Telegram lets a bot delete messages of a private chat only for 48 hours (Bot API, deleteMessage).
desk-copies-left = ⚠️ { $count ->
        [one] { $count } message about case { $reference } could not be removed
       *[other] { $count } messages about case { $reference } could not be removed
    } from { $handle }'s chat (older than 48 hours, or Telegram refused): ask them to delete { $count ->
        [one] it
       *[other] them
    }.
desk-queue-priorities = Priority 1 is the most urgent (in danger right now); 🔴 marks those cases.
desk-queue-held = Held back (silently blocked, never announced): { $references }
desk-mine-line = { $reference } · { $urgent ->
        [yes] 🔴 URGENT ·{" "}
       *[no] {""}
    }priority { $priority } · { $category } · { $language } · yours for { $waited }
desk-case-close-reason = Closed with the reason (internal, the person was not shown it): { $reason }
desk-case-held = Held back: its person is blocked silently, so it never reaches the queue.
desk-release-waiting = Case { $reference } is not held by anyone: it is already in the queue.
desk-release-closed = Case { $reference } is closed; there is nothing to release.
desk-close-closed = Case { $reference } is already closed.
desk-blocked-silently = The person of case { $reference } is blocked silently: they are not told and go on as before, but their requests are held back from the queue (admins see them in /queue). /unblock { $reference } lifts it.
desk-unblocked = The person of case { $reference } is no longer blocked.{ $count ->
        [0] {""}
        [one] {" "}{ $count } request held back is now in the queue.
       *[other] {" "}{ $count } requests held back are now in the queue.
    }
desk-active-this-hour = within the hour
desk-active-ago = { $days ->
        [0] { $hours ->
                [one] { $hours } hour ago
               *[other] { $hours } hours ago
            }
       *[other] { $days ->
                [one] { $days } day
               *[other] { $days } days
            } { $hours } h ago
    }

## After a request was closed, the person writes again.
after-close-offer = Your request { $reference } was closed. Your message is kept: should it go to that request, opened again, or to a new request? Nothing is lost either way.
reopen-request = Reopen that request
reopened = Your request { $reference } is open again and back with the volunteers; your message was added to it. A volunteer will write to you here.
reopen-not-closed = Your request { $reference } is open: just write here to add to it.
desk-reopened = Case { $reference }, which you held, was reopened by its person and is back in the queue.
desk-take-held = Case { $reference } is held back: its person is blocked silently. /unblock { $reference } puts it in the queue.
desk-audit-reason = reason (internal): { $reason }
desk-relayed-edit = ✏️ { $reference }, the person edited a message to: { $text }
desk-answered-more = Case { $reference }, which you hold: its person answered more questions. /case { $reference } shows them.

# The codeword check (casework/verification.py): the volunteer learns only match / no match.
desk-verify-asked = { $reference }: the person is asked for their codeword. You will learn only whether it matches.
desk-verify-asked-later = { $reference }: the person asked to be written to only when they write, so they will be asked for their codeword then. You will learn only whether it matches.
desk-verify-none = { $reference }: no codeword was set for this request.
desk-verify-closed = { $reference } is closed: there is nobody to ask.
desk-verify-waiting = { $reference }: the person was already asked for their codeword; the answer has not come yet.
desk-verify-match = { $reference }: the codeword matches.
desk-verify-match-released = { $reference }: the codeword matches. Your held messages are delivered now.
desk-verify-miss = { $reference }: the codeword does not match (try { $attempt } of 3).
desk-verify-failed = ⚠ { $reference }: the codeword did not match three times. The case is flagged: the phone may be in other hands. Replies to it are held; /verify { $reference } asks again, and held replies go if it matches.
desk-reply-held-silence = Kept in case { $reference }: its person has not written for more than { $days } days, so they are asked for their codeword first. Your message is delivered if it matches.
desk-reply-held-check = Kept in case { $reference }: its person has not answered the codeword question yet. Your message is delivered if it matches.
desk-reply-held-flagged = Kept in case { $reference }: the codeword did not match three times, so nothing is sent to that phone. /verify { $reference } asks again; held messages are delivered if it matches.
desk-case-codeword-set = Codeword: set
desk-case-codeword-flagged = ⚠ Codeword did not match three times: the phone may be in other hands.
desk-case-codeword-waiting = Codeword: asked, no answer yet

## Teams (dialogs/routing.yaml): each team's and each tag's name, and the team commands.
team-duty = Duty (urgent)
team-evacuation = Evacuation
team-asylum = Asylum abroad
team-legal = Legal
team-psych = Psychological help
tag-criminal_case = criminal case
tag-health = health
tag-checked_phone = phone may be checked
tag-foreign = foreign citizen
tag-relative = written by someone else
tag-documents_taken = documents held by the unit
desk-queue-of = Queue of: { $teams }
desk-queue-empty-of = No case is waiting for: { $teams }
desk-nothing-to-take-of = No case is waiting for: { $teams }
desk-all-teams = all teams
desk-team-unknown = There is no team { $team }. Teams: { $teams }
desk-take-other-team = Case { $reference } is in the queue of another team ({ $team }). Ask them or an admin.
desk-case-team = Team: { $team }{ $tags ->
        [none] {""}
       *[other] {" "}· { $tags }
    }
desk-team-now = { $handle } is now in: { $teams }
desk-team-none = { $handle } is in no team now, so they work every team's queue.
desk-teams-title = Teams:
desk-teams-line = { $name } ({ $team }) · open cases: { $open }, waiting: { $waiting } · { $members }
desk-teams-nobody = nobody in this team yet
desk-teams-teamless = In no team (they work every queue): { $handles }

## Handover (casework/desk/handover.py): /transfer, /assign, /tag, /priority, /reopen. The person
## is told nothing of these; notices to a team carry no content.
desk-transferred = Case { $reference } now waits in the queue of { $team }.
desk-transferred-in = ➡️ Case { $reference } was moved to the queue of { $team } · priority { $priority } · { $language }. /take { $reference }
desk-transferred-away = Case { $reference }, which you held, was moved by { $handle } to the queue of { $team }. It is no longer yours.
desk-transfer-closed = Case { $reference } is closed. /reopen { $reference } first.
desk-transfer-same = Case { $reference } is already in the queue of { $team }.
desk-tag-unknown = There is no tag { $tag }. Tags: { $tags }
desk-tagged = Tags of { $reference }: { $tags ->
        [none] none
       *[other] { $tags }
    }
desk-priority-range = The priority is a number from 1 (most urgent) to 4, not { $value }.
desk-priority-set = Priority of { $reference }: { $old } → { $priority }.
desk-assign-unknown = There is no active volunteer { $handle }.
desk-assign-closed = Case { $reference } is closed. /reopen { $reference } first.
desk-assign-already = { $handle } already holds case { $reference }.
desk-assigned = Case { $reference } is now held by { $handle }; they were told.
desk-assigned-to-you = 📥 { $handle } handed case { $reference } to you: you hold it now. /case { $reference } to read it.
desk-assigned-note = 📝 Internal note (never sent to the person): { $text }
desk-assigned-away = Case { $reference }, which you held, was handed to { $handle } by { $by }. It is no longer yours.
desk-reopen-not-closed = Case { $reference } is not closed.
desk-reopened-by-desk = Case { $reference } is open again and waits in the queue of { $team }.

## Reminders, outcomes, statistics and team canned replies (issue 13: /remind, /reminders,
## /close REF OUTCOME, /stats, /canned per team; dialogs/routing.yaml).
desk-remind-set = Reminder set: case { $reference }, in { $when }. /reminders lists yours.
desk-remind-bad-time = “{ $word }” is not a time: a whole number and m, h, d or w, like 30m, 4h, 2d or 1w (at most 52w).
desk-reminder = ⏰ Reminder, case { $reference }: { $text }
desk-reminders-none = You have no pending reminders.
desk-reminders-title = { $count ->
        [one] { $count } pending reminder:
       *[other] { $count } pending reminders:
    }
desk-reminders-line = { $reference } · in { $when } · { $text }
outcome-left_russia = left Russia
outcome-safe_inside = safe place inside Russia
outcome-legal_consultation = legal consultation given
outcome-psych_support = psychological support given
outcome-asylum_help = helped with asylum abroad
outcome-referred_partner = referred to a partner group
outcome-no_contact = no contact
outcome-not_our_profile = not our profile
outcome-suspected_provocation = suspected provocation
desk-outcome-unknown = There is no outcome { $outcome }. Outcomes: { $outcomes }
desk-closed-no-outcome = No outcome recorded. Next time: /close REF OUTCOME [note], outcomes: { $outcomes }
desk-case-outcome = Outcome: { $outcome }
desk-stats-recent-title = Last 30 days, cases by team and outcome (a count under 5 shows as <5):
desk-stats-recent-line = { $team } · { $outcome }: { $count }
desk-stats-reply-title = Median time to first reply, last 30 days:
desk-stats-reply-line = { $team }: { $median }
desk-stats-too-few = { $count } replies, too few to show
desk-stats-no-team = no team
desk-stats-outcome-open = still open
desk-stats-outcome-none = closed without an outcome
desk-canned-team = Team { $team } (used on its cases instead of a shared reply of the same key):
desk-canned-not-for-team = Canned reply { $key } is not for cases of { $team }. /canned lists them.
canned-legal-legal = Our legal team has your request; a lawyer will answer you here. Until then, please do not sign anything, and tell us the dates on any papers you have received (the dates only, no photos of documents).
canned-evacuation-route = Our evacuation team has your request. Please do not buy tickets or tell anyone about your plans before you have talked them over with your volunteer: they will go through your route with you here.
canned-psych-support = A psychologist of our group can talk with you here, in this chat. You do not have to explain everything at once: write when you are ready. If you are in danger right now, say so first.

## Duty and escalation (casework/desk/duty.py, casework/notices.py): never any content.
desk-duty-now-on = You are on duty: urgent new cases of your teams come to you first. /duty off when your shift ends.
desk-duty-now-off = You are off duty. Urgent cases of your teams reach you only when nobody of the team is on duty.
desk-duty-title = On duty:
desk-duty-line = { $name }: { $handles }
desk-duty-nobody = nobody (urgent cases go to the whole team)
desk-duty-teamless = In no team (they work every queue): { $handles }
desk-duty-you-on = You are on duty.
desk-duty-you-off = You are not on duty. /duty on to start.
desk-urgent-unclaimed = 🚨 Urgent case { $reference } (priority { $priority }) has not been taken. /take { $reference }
desk-no-reply-holder = ⏰ Urgent case { $reference } (priority { $priority }): no reply to the person for { $waited } since you took it. /reply { $reference }, or /release { $reference }
desk-no-reply-team = ⏰ Urgent case { $reference } (priority { $priority }), taken by { $handle }: no reply to the person for { $waited }.
desk-person-wrote-waiting = 💬 The person of waiting case { $reference } (priority { $priority }) wrote again. /take { $reference }
desk-reply-web-waiting = Kept in case { $reference }: its person wrote through the web page and has no chat, so your message waits in their web thread until they next log in.
desk-case-channel = Came through: { $channel }
desk-channel-telegram = Telegram
desk-channel-web = the web page (replies wait until the person logs in)
desk-closed-web = Case { $reference } is closed. Its person writes through the web page, so nothing was sent to a chat: they will see it closed when they next log in.
desk-verify-web = { $reference }: its person writes through the web page and logs in with their passphrase: that passphrase is what proves it is them. There is no chat to ask a codeword in, so none is asked.
desk-web-read = 👀 { $reference }: the person has read your reply on the web page.
desk-case-web-read = Web thread last read: { $day } (UTC, the day only)
desk-case-web-unread = Web thread last read: not yet
