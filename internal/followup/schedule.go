package followup

import "time"

// sendHour is the local time a follow-up falls due.
const sendHour = 9

// DueAt is when k of a lead registered at registered falls due: 09:00 in
// loc (the territory's time zone) on the registration's local date plus
// k.Days(); Saturday and Sunday move to Monday 09:00. Calendar days, so a
// change to or from summer time keeps 09:00.
func DueAt(k Kind, registered time.Time, loc *time.Location) time.Time {
	local := registered.In(loc)
	due := time.Date(local.Year(), local.Month(), local.Day()+k.Days(), sendHour, 0, 0, 0, loc)
	switch due.Weekday() {
	case time.Saturday:
		due = due.AddDate(0, 0, 2)
	case time.Sunday:
		due = due.AddDate(0, 0, 1)
	}
	return due
}
