"""What the bot does with a request, free of Telegram.

The person's questionnaire turn, the submission, the desk's operations, the relay between a
person and a volunteer, erasure and notices. Functions here own their transactions and write the
audit; what is to be sent comes back as plain values (`casework.outgoing`), which `bot/` turns
into Bot API calls (and a web page or a second bot could turn into something else).
"""
