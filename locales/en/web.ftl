# The web form (web/): texts of its own, and its wording of bot texts that speak of Telegram
# (web-<key> replaces <key> on the web; web/pages.py).
web-title = Request for help
web-come-back = Sent a request here before? Read the replies with your passphrase
web-answer = Next →
web-language = Language
web-again = Start a new request
web-try-again = We could not store your request right now. Your answers are kept on this page: please press “Send the request” again in a few minutes.

# The Tor line: the Tor Project's own description of Tor Browser (tb-manual: "About Tor Browser"):
# it hides the user's IP address from the sites they visit and hides which sites they visit
# from whoever watches the connection, who can still see that Tor is used.
web-consent-question =
    Hello. We are volunteers who help people who do not want to fight, and their families. Our help is free.

    We never ask for money, photos of documents, an address or a unit number. Anyone who asks for these in our name is not us.

    Before we start:
    • This page works without JavaScript. Open it in Tor Browser if you can: then we do not learn your IP address, and your internet provider does not see that you opened this page (it can see that you use Tor).
    • Your answers are stored encrypted. The volunteer who takes your request can read them, and so can our group's admins.
    • When you send the request you get a passphrase, shown once: with it you come back to this page to read the volunteer's replies.
    • Use the buttons on the page; “Back” goes one step back. Closing the browser ends this questionnaire.

    Shall we continue?

web-declined-question =
    All right. Nothing has been saved.
    If you want to come back, open this page again at any time.

web-codeword-question =
    If you like, choose a codeword: a word or short phrase only you know. When a volunteer needs to be sure they are talking to you, they can ask you for it, and they learn only whether it matches.
    Do not use a password you use anywhere else. Capital letters do not matter. We keep only a scrambled form that can be checked but not read back. You can skip this.

web-submitted =
    Your request has been sent. Its reference: { $reference }

    A volunteer answers on this page: come back with your passphrase to read the reply. Urgent requests are read first.

web-sent-now =
    Your request has been sent as urgent. Its reference: { $reference }

    A volunteer answers on this page: come back with your passphrase to read the reply. If you can, answer the remaining questions: it helps the volunteers. If you cannot, that is fine, nothing more is needed.

web-sent-rest-added = Thank you. Your answers were added to your request { $reference }. Read the replies with your passphrase.

# Coming back with the passphrase (web/app.py: /login, /thread, /forget).
web-passphrase = Your passphrase is below. Write it down now or keep it somewhere safe: it is shown only this once, and nobody, not even the volunteers, can tell it to you again. With it you can come back to this page, read the volunteer's replies and write more.
web-login = Read replies
web-login-question = Type your passphrase: the words you were shown when you sent your request.
web-login-failed = This passphrase does not open any request. Check the words and try again.
web-login-busy = Too many tries right now. Please wait a while and try again.
web-try-later = This page cannot reach our storage right now, and nothing was changed. Please try again in a few minutes.
web-thread-intro = Your request { $reference }. The volunteer's replies to it appear here, on this page.
web-thread-empty-thread = Your request { $reference }. No reply yet: a volunteer will answer here. Come back later with your passphrase.
web-thread-sealed = Your request { $reference }. This page cannot show the messages of your request here; you can still write more below.
web-thread-earlier = Messages written before this passphrase was made are not shown here: this page can open only what was written since. For the volunteers they stay in your request.
web-thread-earlier-entry = (written before this passphrase)
web-thread-you = You
web-thread-volunteer = Volunteer
web-thread-send = Send
web-thread-empty = Write a message first (at most 4,000 characters).
web-thread-closed = This request is closed, so nothing more can be added to it. If you need help again, start a new request.
web-forget = Erase my request
web-forget-question = Erase request { $reference } and everything in it? This cannot be undone: the volunteers will no longer see it, and your passphrase will open nothing.
web-forget-confirm = Erase it now
web-back-to-thread = Back to my request
web-forgotten = Your request and everything in it have been erased.

# Continuing a Telegram request (web/app.py: /continue; the code comes from /web in the bot).
web-continue-link = Continue a request from Telegram
web-continue-question = Type the one-time code the bot gave you when you sent /web (it works once, within an hour of being given).
web-continue = Continue here
web-continue-failed = This code does not work: it is mistyped, already used or more than an hour old, or the request is closed. Send /web in the bot for a new one.
web-continued = Your request { $reference } now continues on this page. The volunteer's replies will be shown here, not in Telegram; what you write in the bot still reaches the volunteer.
