"""The pharmacy's stock: containers issued from the GMP lab's store in kits, and what the pharmacy takes."""
