"""The Key Adult's side of the portal: inbox, notification page with guidance, acknowledge, record, print."""
