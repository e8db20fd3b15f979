from notes_kb.entry import main

main()
