"""Police staff in the portal: the force's read-back dashboard, the notification form and the CSV extract upload."""
