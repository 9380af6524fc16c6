module colony.dev/pause

go 1.22
