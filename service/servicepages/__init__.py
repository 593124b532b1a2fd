"""What every portal page shares: branding, the phase banner, who is signed in, and the accessibility, privacy and cookies pages."""
