/*
 * kb.h - Nimbus's knowledge base: every fact a support answer may need,
 * one article per policy or product. Solutions include it; the rubric's
 * checks are drawn from it.
 */
#ifndef KB_H
#define KB_H

typedef struct {
	const char *title;
	const char *text;
} kb_article;

static const kb_article KB[] = {
	{ "Return policy",
	  "Most items can be returned within 30 days of delivery for a full refund, as long as "
	  "they are unused and in the original packaging. The refund goes back to your original "
	  "payment method within 5 business days after the return reaches us." },
	{ "Returning opened or used items",
	  "Opened or used items can be returned within 14 days of delivery for store credit only, "
	  "minus a 15% restocking fee. Water filters and descale tablets cannot be returned once "
	  "opened." },
	{ "How to return an item",
	  "To start a return, sign in, open the Orders page and choose Return item. Print the "
	  "prepaid label and drop the parcel at any PostPoint location. Return shipping is free "
	  "for faulty items; otherwise a $6 label fee is taken from the refund." },
	{ "Shipping costs and delivery times",
	  "Standard shipping takes 3 to 5 business days and costs $5.99; orders over $50 ship "
	  "free. Express shipping takes 1 to 2 business days and costs $14.99. Orders placed "
	  "before 2 pm ship the same day." },
	{ "International shipping",
	  "We ship to Canada, the United Kingdom and the European Union. International delivery "
	  "takes 7 to 14 business days and costs $19.99 per order. Customs duties and import "
	  "taxes are paid by the customer on delivery." },
	{ "Order tracking and lost parcels",
	  "We email you a tracking link when your order ships. If the tracking shows no movement "
	  "for 7 days, contact us and we will send a replacement or refund the order. A parcel "
	  "marked as delivered that you cannot find must be reported within 48 hours." },
	{ "Warranty for the Nimbus Kettle and Toaster",
	  "The Nimbus Kettle and the Nimbus Toaster come with a 1-year limited warranty that "
	  "covers manufacturing defects. It does not cover limescale damage, drops or misuse." },
	{ "Warranty for the Nimbus Kettle Pro",
	  "The Nimbus Kettle Pro has a 3-year warranty covering the heating element and the "
	  "temperature controls. Register your Kettle Pro within 60 days of purchase to extend "
	  "the warranty by one more year." },
	{ "Making a warranty claim",
	  "To make a warranty claim, email warranty@nimbus.example with your order number and a "
	  "photo or video of the fault. We answer within 2 business days and send a replacement "
	  "part or a new unit at no cost to you." },
	{ "Kettle prices",
	  "The Nimbus Kettle costs $49. The Nimbus Kettle Pro costs $89 and adds temperature "
	  "presets from 40 to 100 degrees and a keep-warm mode." },
	{ "Toaster and accessory prices",
	  "The Nimbus Toaster costs $59. A pack of 4 replacement water filters costs $12, and a "
	  "box of 10 descale tablets costs $8." },
	{ "Nimbus Plus membership",
	  "Nimbus Plus costs $29 a year. Members get free express shipping on every order and "
	  "10% off accessories. You can cancel the membership at any time in Account settings; "
	  "the fee is refunded only if you cancel within the first 14 days." },
	{ "Resetting your password",
	  "To reset your password, choose Forgot password on the sign-in page and enter the "
	  "email address of your account. The reset link we send expires after 1 hour. If the "
	  "email does not arrive, check your spam folder." },
	{ "Changing your email or delivery address",
	  "You can change your email address and your delivery address in Account settings, "
	  "under Profile. A new delivery address applies to orders that have not shipped yet." },
	{ "Deleting your account",
	  "To delete your account, open Account settings, choose Privacy and then Delete "
	  "account. The deletion becomes permanent after 30 days; signing in before then "
	  "cancels it. Order records are kept for 7 years for tax purposes." },
	{ "Cancelling an order",
	  "You can cancel an order within 2 hours of placing it, from the Orders page. After "
	  "that the order is already being packed, and you can return it once it arrives." },
	{ "Payment methods",
	  "We accept Visa, Mastercard, American Express and PayPal. Your card is charged when "
	  "the order ships, not when you place it. Gift cards can be used for everything except "
	  "Nimbus Plus." },
	{ "Price match guarantee",
	  "If you find a Nimbus product for less at an authorised retailer within 14 days of "
	  "buying it from us, we refund the difference. Price matching does not cover clearance "
	  "sales or marketplace sellers." },
};

#define KB_ARTICLES ((int)(sizeof(KB) / sizeof(KB[0])))

#endif
