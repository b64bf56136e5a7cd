# The web form (web/): texts of its own, and its wording of bot texts that speak of Telegram
# (web-<key> replaces <key> on the web; web/pages.py). It cannot show replies yet: say so.
web-title = Request for help
web-preview = This web form is a preview: it can take your request, but it cannot show you a reply yet.
web-answer = Next →
web-language = Language
web-again = Start a new request
web-try-again = We could not store your request right now. Your answers are kept on this page: please press “Send the request” again in a few minutes.

web-consent-question =
    Hello. We are volunteers who help people who do not want to fight, and their families. Our help is free.

    We never ask for money, photos of documents, an address or a unit number. Anyone who asks for these in our name is not us.

    Before we start:
    • This page works without JavaScript. Open it in Tor Browser if you can: then neither we nor your internet provider learn where you are.
    • Your answers are stored encrypted. The volunteer who takes your request can read them, and so can our group's admins.
    • This web form is a preview: it cannot show you a volunteer's reply yet. If you can reach us in Telegram, that is where we can answer you.
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

    This web form is a preview: it cannot show you a volunteer's reply yet, so nobody can answer you on this page. Note the reference: if you can reach us in Telegram, give it there, and a volunteer can find your request. Urgent requests are read first.

web-sent-now =
    Your request has been sent as urgent. Its reference: { $reference }

    This web form is a preview: it cannot show you a volunteer's reply yet. Note the reference. If you can, answer the remaining questions: it helps the volunteers. If you cannot, that is fine, nothing more is needed.

web-sent-rest-added = Thank you. Your answers were added to your request { $reference }. This web form cannot show you a reply yet: note the reference.
