## The intake questionnaire. Keys follow dialogs/intake.yaml:
## <step>-question, <step>-label (review screen), <step>-opt-<option> (buttons), notice-<id>.

language-question = Выберите язык / Choose your language.
language-opt-ru = Русский
language-opt-en = English

consent-question =
    Before we start, please read this.

    • This is a Telegram bot. Telegram is not end-to-end encrypted here: Telegram can see this chat and could hand it over on a legal order.
    • Do not send your name, unit number, exact location, photos or documents. We will ask only what we need to find the right person to help you.
    • Your answers are stored encrypted and read only by the volunteer who takes your request.
    • You can erase everything you sent at any time with /forget. /cancel stops the questionnaire, /back returns to the previous question.
    • Consider turning on auto-delete for this chat (chat menu → Auto-delete) and deleting it if your phone may be checked.

    Do you agree to continue on these terms?
consent-opt-agree = I understand, continue
consent-opt-decline = No, stop

declined-question =
    Understood. Nothing has been saved.
    If you change your mind, send /start at any time.

who-question = Who needs help?
who-label = Who needs help
who-opt-self = I do
who-opt-other_person = Someone close to me (relative or friend)

status-question = What is the situation right now?
status-label = Situation
status-opt-not_called = Not called up yet
status-opt-summons = Received a summons (paper or electronic)
status-opt-conscript = Conscript (compulsory service)
status-opt-mobilized = Mobilized
status-opt-contract = Contract soldier
status-opt-left_unit = Already left the unit
status-opt-abroad = Already abroad
status-opt-other = Something else

location-question = Where is the person now? Only roughly, please: no city or address.
location-label = Where now
location-opt-russia = In Russia
location-opt-front_zone = In occupied territory or the front zone
location-opt-abroad = Outside Russia

abroad_region-question = Which part of the world? Only the region, not the country or city.
abroad_region-label = Region
abroad_region-opt-central_asia = Central Asia (Kazakhstan, Kyrgyzstan and nearby)
abroad_region-opt-caucasus = South Caucasus (Armenia, Georgia, Azerbaijan)
abroad_region-opt-europe = Europe
abroad_region-opt-elsewhere = Somewhere else

return_risk-question = Is there a risk of being sent back to Russia?
return_risk-label = Risk of being sent back
return_risk-opt-detained = Detained now, or an extradition request exists
return_risk-opt-threatened = Yes, there are signs (a wanted notice, a visit, a call)
return_risk-opt-worried = Not known, but I am worried
return_risk-opt-safe = No, it seems not

urgency-question = How urgent is it?
urgency-label = Urgency
urgency-opt-now = In danger right now
urgency-opt-days = Within a few days
urgency-opt-weeks = Within a few weeks
urgency-opt-no_deadline = No deadline

notice-danger-now =
    ⚠️ If you are in danger right now:
    • Do not tell anyone around you about your plans, and do not keep this chat on your phone: delete it after each conversation.
    • If you can, go somewhere you are not being watched and stay reachable in this bot.
    • Finish the next questions quickly: your request will be marked urgent.

help-question = What help is needed? Choose everything that fits, then press “Done”.
help-label = Help needed
help-opt-leave_russia = Leaving Russia
help-opt-safe_place = A safe place inside Russia
help-opt-asylum = Staying safely abroad (asylum, documents)
help-opt-legal = Legal advice (deferment, alternative service, ending a contract)
help-opt-psychological = Psychological support
help-opt-other = Something else

documents-question = Which documents are at hand? Choose everything that fits, then press “Done”. Do not send photos of them.
documents-label = Documents
documents-opt-internal_passport = Internal passport
documents-opt-foreign_passport = International passport
documents-opt-military_id = Military ID
documents-opt-taken_by_unit = Taken by the unit
documents-opt-none = None of these

details-question =
    In a few sentences, what happened and what do you need? { $max } characters at most.
    No names, unit numbers, addresses or phone numbers, please. You can also skip this.
details-label = Description

contact-question = How may we reply?
contact-label = How to reply
contact-opt-bot_only = Only in this bot
contact-opt-secure_channel = In this bot; a volunteer may suggest a more secure channel

review-question = Please check your answers. Tap an answer to change it, or send the request.
review-submit = ✅ Send the request
review-change = ✏️ { $label }

summons_age-question =
    Did the summons arrive (or appear on Gosuslugi) more than 7 days ago?
    An electronic summons counts as served after 7 days, and a ban on leaving Russia can follow.
summons_age-label = Summons older than 7 days
summons_age-opt-yes = Yes
summons_age-opt-no = No
