## The intake questionnaire. Keys follow dialogs/intake.yaml:
## <step>-question, <step>-label (review screen), <step>-opt-<option> (buttons), notice-<id>.
## Buttons are deliberately neutral: a phone may be checked, and no button text should be evidence.

language-question = Выберите язык / Choose your language.
language-opt-ru = Русский
language-opt-en = English

# Sources: Telegram Privacy Policy, section 8.3 (phone number and IP address on a court order);
# Bot API deleteMessage (a bot can delete messages only within 48 hours);
# DOMAIN.md (real groups never ask for money, document photos, an address or a unit number).
consent-question =
    Hello. We are volunteers who help people who do not want to fight, and their families. Our help is free.

    We never ask for money, photos of documents, an address or a unit number. Anyone who asks for these in our name is not us.

    Before we start:
    • This chat is not end-to-end encrypted. On a court order, Telegram may give the authorities your phone number and IP address.
    • Your answers are stored encrypted. The volunteer who takes your request can read them, and so can our group's admins.
    • /forget erases everything you sent. The bot can delete messages in this chat only while Telegram allows it (48 hours).
    • Set a Telegram cloud password (Two-Step Verification, in Telegram's privacy settings) and turn on auto-delete in this chat.
    • If you delete the chat with the bot, we may no longer be able to reply to you.
    • /cancel stops the questionnaire, /back goes one step back.

    Shall we continue?
consent-opt-agree = I understand, continue
consent-opt-decline = No, not now

declined-question =
    All right. Nothing has been saved.
    If you want to come back, send /start at any time.

who-question = Who needs help?
who-label = Who needs help
who-opt-self = I do
who-opt-other_person = Someone close to me

other_knows-question = Does he (or she) know you are writing to us?
other_knows-label = Knows you are writing
other_knows-opt-yes = Yes
other_knows-opt-no = Not yet

status-question = What is the situation right now? (Yours, or his/hers.)
status-label = Situation
status-opt-not_called = Nothing has come yet
status-opt-summons = A summons (paper or electronic)
status-opt-pressed_to_sign = Pushed to sign a contract
status-opt-conscript = Conscript (compulsory service)
status-opt-mobilized = Mobilized
status-opt-contract = Contract soldier
status-opt-foreign_contract = Foreign citizen with a Russian army contract
status-opt-refuser_held = Held after refusing
status-opt-left_unit = No longer in the unit
status-opt-abroad = Already abroad
status-opt-other = Something else

summons_date-question = For which day does the summons call you (or him/her) in?
summons_date-label = Date on the summons
summons_date-opt-today_or_past = Today, or already past
summons_date-opt-within_week = Within a week
summons_date-opt-later = Later
summons_date-opt-no_date = No date, or I do not know

# Source: Federal Law No. 127-FZ of 14.04.2023 (amendments to the law on military duty and
# military service): the exit ban applies from the day the summons is entered in the register of
# summonses, not from when it is received. Deliberately nothing about "7 days".
notice-summons-exit =
    ⚠️ About leaving Russia: from the day a summons is entered in the electronic register, leaving Russia may already be closed, even if you have not seen it.
    Please do not go to the border before you talk to a volunteer.

location-question = Where are you (or he/she) now? Only roughly: no city or address.
location-label = Where now
location-opt-russia = In Russia
location-opt-front_zone = In the war zone or occupied territory
location-opt-abroad = Outside Russia

movement-question = Right now, are you (or is he/she):
movement-label = Where in service
movement-opt-in_unit = In the unit
movement-opt-on_leave = On leave or at home
movement-opt-in_hospital = In hospital
movement-opt-in_custody = Detained or held

abroad_region-question = Which country or region? No city or address.
abroad_region-label = Country or region
abroad_region-opt-armenia = Armenia
abroad_region-opt-kazakhstan = Kazakhstan
abroad_region-opt-kyrgyzstan = Kyrgyzstan
abroad_region-opt-belarus = Belarus
abroad_region-opt-other_cis = Another CIS country
abroad_region-opt-georgia = Georgia
abroad_region-opt-turkey = Turkey
abroad_region-opt-europe = Europe
abroad_region-opt-elsewhere = Somewhere else

return_risk-question = Is there a risk of you (or him/her) being sent back to Russia?
return_risk-label = Risk of being sent back
return_risk-opt-detained = Already detained
return_risk-opt-threatened = There are worrying signs
return_risk-opt-worried = Not sure, but I am worried
return_risk-opt-safe = It seems not

criminal_case-question = As far as you know, is there a case against you (or him/her), criminal or administrative?
criminal_case-label = Case opened
criminal_case-opt-yes = Yes
criminal_case-opt-no = No
criminal_case-opt-dont_know = I do not know

health-question = Do you (or does he/she) have health problems, a wound or an illness?
health-label = Health
health-opt-yes = Yes
health-opt-no = No
health-opt-tell_volunteer = I will tell the volunteer

urgency-question = How urgent is it?
urgency-label = Urgency
urgency-opt-now = In danger right now
urgency-opt-days = Within a few days
urgency-opt-weeks = Within a few weeks
urgency-opt-no_deadline = No deadline

# Source: Article 51 of the Constitution of the Russian Federation (no one is obliged to testify
# against himself, his spouse or close relatives). No call to act: the person decides with a volunteer.
notice-danger-now =
    ⚠️ We will mark your request as urgent.
    • If nothing threatens your life right now, take no sudden step before you talk to us.
    • If you are detained: sign nothing. You have the right not to testify against yourself or your family (Article 51 of the Constitution).
    • You can send the request at once, with the answers you have given so far.

help-question = What help is needed? Choose everything that fits, then press “Done”.
help-label = Help needed
help-opt-leave_russia = Leaving Russia
help-opt-safe_place = A safe place inside Russia
help-opt-asylum = Staying safely abroad (asylum, documents)
# Since autumn 2022 a contract no longer ends by itself (DOMAIN.md): do not promise "ending a contract".
help-opt-legal = Legal advice (deferment, alternative service, discharge on health grounds, what going absent can lead to)
help-opt-psychological = Psychological support
help-opt-other = Something else

documents-question = Which documents are at hand? Choose everything that fits, then press “Done”. Do not send photos of them.
documents-label = Documents
documents-opt-internal_passport = Russian internal passport
documents-opt-foreign_passport = Passport for travel abroad
documents-opt-military_id = Military ID
documents-opt-taken_by_unit = Taken by the unit
documents-opt-none = None of these

phone_checked-question = Might someone check your phone (a commander, the police, family)?
phone_checked-label = Phone may be checked
phone_checked-opt-yes = Yes
phone_checked-opt-no = No
phone_checked-opt-not_sure = Not sure

safe_time-question = When is it safer for you to get messages from us?
safe_time-label = When to write
safe_time-opt-any_time = Any time
safe_time-opt-evenings = In the evening
safe_time-opt-when_i_write = Only after I write first

# The codeword is kept only as a slow salted hash (casework/codewords.py: Argon2id), so "cannot
# be read back" is true; the message is deleted at once (bot/handlers/person/questionnaire.py).
codeword-question =
    If you like, choose a codeword: a word or short phrase only you know. When a volunteer needs to be sure they are writing to you (after a long silence, or if the phone may be in other hands), the bot asks you for it, and the volunteer learns only whether it matches.
    Do not use a password you use anywhere else. Capital letters do not matter. Your message with it is deleted from this chat at once, and we keep only a scrambled form that can be checked but not read back. You can skip this.
codeword-label = Codeword

details-question =
    If you like, tell us briefly what happened and how we can help. { $max } characters at most.
    No names, unit numbers, addresses or phone numbers, please. You can skip this.
details-label = Description

review-question = Please check your answers. Tap an answer to change it, or send the request.
review-submit = ✅ Send the request
review-change = ✏️ { $label }
